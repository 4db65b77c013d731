"""EMAIL_URL, read into Django's MAILERS: every scheme the portal starts with can send.

django-environ knows more schemes than the portal can use, and maps `filemail://` to the file
backend without the directory that Django 6.1's MAILERS needs (`OPTIONS["file_path"]`): such a
portal passed `manage.py check` and then failed on its first e-mail. A URL that cannot send stops
the start-up here, with an ImproperlyConfigured that says what to write instead.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

SMTP = "django.core.mail.backends.smtp.EmailBackend"
BACKENDS = {
    "smtp": SMTP,
    "smtps": SMTP,
    "smtp+tls": SMTP,
    "smtp+ssl": SMTP,
    "consolemail": "django.core.mail.backends.console.EmailBackend",
    "filemail": "django.core.mail.backends.filebased.EmailBackend",
    "dummymail": "django.core.mail.backends.dummy.EmailBackend",
}
EXAMPLES = (
    "smtp+tls://user:password@smtp.example.com:587, smtps://…, smtp+ssl://…:465, "
    "filemail:///var/mail/portal (one file per e-mail), consolemail:// (standard output) or "
    "dummymail:// (discard)"
)


def _refuse(reason: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"EMAIL_URL{reason} Use {EXAMPLES}.")


def mailers_from_url(url: str, *, timeout: int = 10) -> dict:
    """Return Django's MAILERS for EMAIL_URL URL, or raise ImproperlyConfigured saying why not."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a port out of range raises only when it is read
    except ValueError as exc:
        raise _refuse(f" is not a URL that can be read: {exc}.") from None
    scheme = parts.scheme
    if scheme == "memorymail":
        raise _refuse(
            ": memorymail:// keeps e-mails in the process's memory, where nobody reads them "
            "(the tests set their own mailer)."
        )
    if scheme not in BACKENDS:
        raise _refuse(f": unknown scheme {scheme!r}.")
    if scheme == "filemail":
        options = {"file_path": _writable_directory(parts)}
    elif BACKENDS[scheme] == SMTP:
        options = _smtp_options(url, parts, timeout=timeout)
    else:
        options = {}
    return {"default": {"BACKEND": BACKENDS[scheme], "OPTIONS": options}}


def _writable_directory(parts) -> str:
    """Return the absolute directory of a filemail:/// URL, if it is or can be made writable."""
    if parts.netloc or not parts.path.startswith("/"):
        raise _refuse(
            ": filemail:// needs the directory to write to, as an absolute path after a third "
            "slash (filemail:///var/mail/portal)."
        )
    directory = Path(parts.path)
    existing = next(p for p in (directory, *directory.parents) if p.exists())
    if not existing.is_dir():
        raise _refuse(f": {existing} is not a directory, so filemail:// cannot write there.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _refuse(f": the portal cannot write to {existing}.")
    return str(directory)


def _smtp_options(url: str, parts, *, timeout: int) -> dict:
    if not parts.hostname:
        raise _refuse(f": {parts.scheme}:// needs a host (smtp://smtp.example.com:587).")
    config = environ.Env.email_url_config(url)
    options = {
        "host": config.get("EMAIL_HOST"),
        "port": config.get("EMAIL_PORT"),
        "username": config.get("EMAIL_HOST_USER"),
        "password": config.get("EMAIL_HOST_PASSWORD"),
        "use_tls": config.get("EMAIL_USE_TLS"),
        "use_ssl": config.get("EMAIL_USE_SSL"),
        "timeout": timeout,
    }
    return {key: value for key, value in options.items() if value}
