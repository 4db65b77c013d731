"""E-mail addresses: one normalised form, and no invisible or control characters."""

import pytest
from django.core.exceptions import ValidationError

from accounts.addresses import normalize_email, validate_email_address


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Dana@Example.COM ", "dana@example.com"),
        ("re\u0301ne@example.com", "r\u00e9ne@example.com"),  # e + combining accent → é
        ("r\u00e9ne@example.com", "r\u00e9ne@example.com"),
    ],
)
def test_normalize_email(typed, stored):
    assert normalize_email(typed) == stored


@pytest.mark.parametrize(
    "address",
    [
        "dana\u200b@example.com",  # zero-width space (Cf)
        "dana\u200d@example.com",  # zero-width joiner (Cf)
        "\ufeffdana@example.com",  # byte order mark (Cf)
        "da\u00adna@example.com",  # soft hyphen (Cf)
        "dana@exa\u202emple.com",  # right-to-left override (Cf)
        "dana\u0085@example.com",  # next line (Cc)
        "dana\u0007@example.com",  # bell (Cc)
        "dana\u2028@example.com",  # line separator (Zl)
        "dana\u00a0@example.com",  # no-break space (Zs)
        "da na@example.com",  # space (Zs)
        "dana\ue000@example.com",  # private use (Co)
    ],
)
def test_invisible_and_control_characters_are_refused(address):
    with pytest.raises(ValidationError) as refused:
        validate_email_address(address)
    assert "invisible or control characters" in refused.value.messages[0]
    assert "U+" in refused.value.messages[0]


@pytest.mark.parametrize(
    "address", ["dana@example.com", "r\u00e9ne@example.com", "  padded@example.com  "]
)
def test_ordinary_addresses_pass(address):
    validate_email_address(address)
