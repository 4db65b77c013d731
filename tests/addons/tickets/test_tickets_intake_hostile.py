"""Hostile input to the ticket intake: never a 500, never a ticket without its history.

A refused request adds no Ticket and no TicketEvent; an accepted one adds exactly one ticket with
its "created" event (and an "escalated" one when asked).
"""

import json

import hypothesis
import pytest
from hypothesis import strategies as st

from addons.models import Ticket, TicketEvent
from tests.hostile import (
    HOSTILE_SETTINGS,
    any_json,
    field_changes,
    field_removals,
    nasty_text,
    nested_json_text,
    nesting_depths,
)

pytestmark = pytest.mark.django_db

URL = "/tickets/intake"
FIELDS = ["addon", "subject", "body", "requester_email", "resource", "priority", "escalate"]


@pytest.fixture
def intake_payload(addon, resource):
    return {
        "addon": addon.slug,
        "subject": "Backups failing",
        "body": "The nightly backup job exits with code 3.",
        "requester_email": "ops@customer.example",
        "resource": str(resource.uuid),
    }


def counts():
    return Ticket.objects.count(), TicketEvent.objects.count()


def post(client, data, token, content_type="application/json"):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.generic("POST", URL, data=raw, content_type=content_type, headers=headers)


def assert_outcome(response, before):
    tickets, events = before
    if response.status_code == 201:
        ticket = Ticket.objects.get(pk=response.json()["id"])
        assert Ticket.objects.count() == tickets + 1
        kinds = list(ticket.events.values_list("kind", flat=True))
        assert kinds[0] == TicketEvent.Kind.CREATED
        assert TicketEvent.objects.count() == events + len(kinds)
        assert ticket.subject and ticket.requester_email
    else:
        assert response.status_code in {400, 401, 413, 415, 422}, (
            response.status_code,
            response.content[:300],
        )
        assert response.json()["message"]
        assert counts() == before


@HOSTILE_SETTINGS
@hypothesis.given(changes=field_changes([*FIELDS, "x"]), removals=field_removals(FIELDS))
def test_any_intake_body_opens_one_whole_ticket_or_is_refused(
    client, intake_payload, intake_token, changes, removals
):
    payload = intake_payload | changes
    for name in removals:
        payload.pop(name, None)
    before = counts()

    response = post(client, payload, intake_token)

    assert_outcome(response, before)


@HOSTILE_SETTINGS
@hypothesis.given(
    field=st.sampled_from(["subject", "body", "requester_email"]),
    value=nasty_text.filter(lambda v: v.strip()),
)
def test_odd_unicode_in_text_fields_is_stored_or_refused(
    client, intake_payload, intake_token, field, value
):
    before = counts()

    response = post(client, intake_payload | {field: value}, intake_token)

    assert_outcome(response, before)
    if "\x00" in value:
        assert response.status_code == 422


@pytest.mark.parametrize("field", ["subject", "body"])
@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "ok \udfff"])
def test_nul_and_lone_surrogates_are_422(client, intake_payload, intake_token, field, value):
    response = post(client, intake_payload | {field: value}, intake_token)

    assert response.status_code == 422
    assert "cannot be stored" in response.json()["message"]
    assert counts() == (0, 0)


@HOSTILE_SETTINGS
@hypothesis.given(addon=any_json, token=nasty_text)
def test_any_addon_and_token_are_401(client, intake_payload, intake_token, addon, token):
    hypothesis.assume(token.strip() and token.strip() != intake_token)
    before = counts()

    response = post(client, intake_payload | {"addon": addon}, token.strip())

    assert response.status_code in {400, 401, 413}, response.content[:200]
    assert counts() == before


@HOSTILE_SETTINGS
@hypothesis.given(
    raw=st.binary(max_size=200)
    | st.sampled_from([b"[" * 100_000, b"\x00", b'{"addon": "\\u0000"}', b"\xef\xbb\xbf{}"]),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", ""]
    ),
)
def test_any_bytes_with_any_content_type_are_refused(
    client, intake_token, addon, raw, content_type
):
    before = counts()

    response = post(client, raw, intake_token, content_type=content_type)

    assert_outcome(response, before)
    assert response.status_code != 201


@HOSTILE_SETTINGS
@hypothesis.given(
    field=st.sampled_from([*FIELDS, "x"]),
    depth=nesting_depths,
    kind=st.sampled_from(["[", "{", "[{"]),
)
def test_a_field_nested_at_any_depth_is_refused_naming_it(
    client, intake_payload, intake_token, field, depth, kind
):
    marker = "NESTED-VALUE-MARKER"
    raw = json.dumps(intake_payload | {field: marker}).replace(
        f'"{marker}"', nested_json_text(depth, kind)
    )
    before = counts()

    response = post(client, raw.encode(), intake_token)

    assert_outcome(response, before)
    if depth > 5 and len(raw) <= 64 * 1024:  # larger: 413 before it is read
        assert response.status_code == 400
        assert response.json()["message"].startswith(f"“{field}” nests arrays and objects")
