"""Signed events: what a receiver (the portal's API, the partner's service) accepts and refuses."""

import time

import pytest
from django.utils import timezone

from addons.lifecycle.exceptions import ReplayedEvent, SignatureError, StaleEvent
from addons.lifecycle.signing import signature, signed_headers, spend_event_id, verify_signature
from tests.partner_service import sign as partner_sign

SECRET = "a-signing-secret-of-thirty-two-chars"
BODY = b'{"config": {"ACME_SEARCH_URL": "https://a.example"}}'


def test_a_signed_event_verifies_and_names_its_id():
    headers = signed_headers(SECRET, BODY, event_id="evt-1")
    event = verify_signature(SECRET, headers=headers, body=BODY)
    assert event.event_id == "evt-1"
    assert abs(event.timestamp - time.time()) < 5


def test_the_partner_signs_as_the_portal_does():
    """The test partner (written from the docs alone) and the portal agree on the signature."""
    headers = partner_sign(SECRET, BODY, timestamp=1767225600, event_id="evt-2")
    assert headers["Portal-Signature"] == signature(
        SECRET, timestamp=1767225600, event_id="evt-2", body=BODY
    )


@pytest.mark.parametrize(
    "change",
    [
        {"body": BODY + b" "},  # the body was changed
        {"secret": "another-secret-of-thirty-two-chars!"},  # signed with another key
        {"secret": ""},  # no secret at all: nothing can be genuine
        {"header": ("Portal-Event-Id", "evt-other")},  # the id was swapped
        {"header": ("Portal-Timestamp", "1")},  # the time was swapped
        {"header": ("Portal-Signature", "v1=" + "0" * 64)},
        {"header": ("Portal-Signature", "sha1=abc")},
        {"header": ("Portal-Event-Id", "")},
        {"header": ("Portal-Event-Id", "x" * 101)},
        {"header": ("Portal-Timestamp", "soon")},
    ],
)
def test_anything_changed_or_missing_is_refused(change):
    headers = signed_headers(SECRET, BODY, event_id="evt-3")
    if "header" in change:
        name, value = change["header"]
        headers[name] = value
    with pytest.raises(SignatureError):
        verify_signature(
            change.get("secret", SECRET), headers=headers, body=change.get("body", BODY)
        )


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_too_far_from_the_clock_either_way_is_stale(offset):
    now = time.time()
    headers = signed_headers(SECRET, BODY, timestamp=int(now) + offset)
    with pytest.raises(StaleEvent):
        verify_signature(SECRET, headers=headers, body=BODY, now=now)


@pytest.mark.django_db
def test_an_event_id_is_spent_once_per_addon(addon, other_addon):
    event = verify_signature(SECRET, headers=signed_headers(SECRET, BODY), body=BODY)
    spend_event_id(addon=addon, event=event)
    with pytest.raises(ReplayedEvent):
        spend_event_id(addon=addon, event=event)
    spend_event_id(addon=other_addon, event=event)  # another add-on's ids are its own


@pytest.mark.django_db
def test_receipts_older_than_the_window_are_dropped(addon, settings):
    event = verify_signature(SECRET, headers=signed_headers(SECRET, BODY), body=BODY)
    long_ago = timezone.now() - timezone.timedelta(seconds=2 * settings.SERVICE_EVENT_MAX_AGE + 1)
    spend_event_id(addon=addon, event=event, now=long_ago)
    spend_event_id(addon=addon, event=event)  # its receipt was too old to keep
