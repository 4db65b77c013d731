"""Encryption of secrets at rest with Fernet (cryptography), keyed by FIELD_ENCRYPTION_KEY.

The setting is a list of keys. The first encrypts; all of them decrypt, so a key is rotated by
prepending a new one, running `manage.py rotate_encryption_keys`, then dropping the old one.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    """Return the MultiFernet for the configured keys (cached per key list)."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEY))


def encrypt(plaintext: str) -> str:
    """Return PLAINTEXT encrypted with the primary key."""
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """Return the plaintext of CIPHERTEXT, trying every configured key."""
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY"
        ) from exc


class RevealedSecret(str):
    """A secret's value on its way to the one page that shows it.

    It renders as itself, but its repr hides it: Django's template engine logs the repr of the
    whole context at DEBUG when a variable lookup fails (`VariableDoesNotExist`), and error
    reports print the locals of each frame.
    """

    def __repr__(self):
        return "RevealedSecret('********')"


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; the empty string is stored as is (nothing to hide)."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
