"""E-mail addresses in one normalised form, so that every comparison and lookup agrees.

`normalize_email` is the form every address is stored and compared in; `validate_email_address`
refuses what no real address holds but a look-alike might: invisible and format characters
(Unicode category Cf, such as a zero-width space or a right-to-left override), control
characters, separators and other whitespace inside the address.
"""

import unicodedata

from django.core.exceptions import ValidationError

# Cc control, Cf format (zero-width, bidi overrides, soft hyphen), Zl/Zp line and paragraph
# separators, Zs spaces (no-break and ideographic spaces included), Co private use, Cn unassigned.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn"})


def normalize_email(address: str) -> str:
    """Return ADDRESS as the portal stores and compares it: trimmed, NFC, lower-cased.

    Heroku treats addresses case-insensitively, and so does everything here: logins, company
    users, invitations, access lists, tickets and the outbox all go through this function. NFC
    makes an "é" typed as one character and as "e" plus an accent the same address.
    """
    return unicodedata.normalize("NFC", address.strip()).lower()


def refused_characters(address: str) -> list[str]:
    """Return the characters of ADDRESS that no address may hold, as U+XXXX names, in order."""
    seen = dict.fromkeys(
        f"U+{ord(ch):04X}" for ch in address if unicodedata.category(ch) in REFUSED_CATEGORIES
    )
    return list(seen)


def validate_email_address(address: str) -> None:
    """Raise ValidationError when ADDRESS holds an invisible, format, control or space character."""
    refused = refused_characters(address.strip())
    if refused:
        raise ValidationError(
            "This e-mail address contains invisible or control characters (%(chars)s); "
            "type it again by hand.",
            code="invisible_characters",
            params={"chars": ", ".join(refused)},
        )
