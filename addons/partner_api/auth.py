"""Authenticate Heroku's Partner API calls: HTTP basic auth with the manifest id and password."""

from __future__ import annotations

import base64
import binascii
import hmac
from functools import cache

from django.conf import settings

from addons.models import Addon, generate_secret
from addons.partner_api.exceptions import PartnerAuthError
from portal.crypto import decrypt, encrypt
from portal.text import is_storable


# Authentication ------------------------------------------------------------------------------
@cache
def _dummy_ciphertext(keys: tuple[str, ...]) -> str:
    return encrypt(generate_secret())


def _dummy_password() -> str:
    # Decrypted like a real password, so that an unknown id costs about as long as a known one.
    return decrypt(_dummy_ciphertext(tuple(settings.FIELD_ENCRYPTION_KEY)))


def authenticate_partner(authorization: str) -> Addon:
    """Return the add-on whose manifest id and password are in the Basic AUTHORIZATION header."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise PartnerAuthError("Authentication required.", outcome="unauthorized: no credentials")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise PartnerAuthError(
            "Authentication failed.", outcome="unauthorized: malformed credentials"
        ) from None
    slug, _, password = decoded.partition(":")
    # A NUL in a query parameter is an error on PostgreSQL: such an id names no add-on.
    known = slug and is_storable(slug)
    addon = Addon.objects.select_related("company").filter(slug=slug).first() if known else None
    expected = addon.api_password if addon is not None else _dummy_password()
    password_matches = hmac.compare_digest(password.encode(), expected.encode())
    if addon is None or not password_matches:
        error = PartnerAuthError(
            "Authentication failed.",
            outcome="unauthorized: wrong password" if addon else "unauthorized: unknown add-on id",
        )
        error.addon = addon
        raise error
    return addon
