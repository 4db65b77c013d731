"""The development console e-mail backend (EMAIL_URL=consolemail://, the default).

Django's console backend prints the MIME message as it would be sent: quoted-printable, its lines
cut at 76 characters with `=` soft breaks, so a link copied from the terminal is broken ("This
invitation link is not valid"). This one prints the headers a person reads and the plain-text
part as written, each link whole on its line; an HTML alternative is only mentioned.
"""

from django.core.mail.backends.console import EmailBackend


class ConsoleEmailBackend(EmailBackend):
    """Write each message's headers and its plain-text body, decoded, to the console."""

    def write_message(self, message):
        headers = [
            ("From", message.from_email),
            ("To", ", ".join(message.to)),
            ("Cc", ", ".join(message.cc)),
            ("Reply-To", ", ".join(message.reply_to)),
            ("Subject", message.subject),
        ]
        lines = [f"{name}: {value}" for name, value in headers if value]
        parts = [mimetype for _, mimetype in getattr(message, "alternatives", ())]
        parts += [getattr(a, "filename", None) or "attachment" for a in message.attachments]
        if parts:
            lines.append(f"(Also attached: {', '.join(parts)}; not shown.)")
        self.stream.write("\n".join(lines) + "\n\n" + message.body.rstrip("\n") + "\n")
        self.stream.write("-" * 79 + "\n")
