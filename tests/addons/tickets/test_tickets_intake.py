"""POST /tickets/intake: a support tool opens tickets with its add-on's bearer token."""

import json

import hypothesis
import pytest
from django.core.management import call_command
from hypothesis import strategies as st

from addons.models import Addon, Ticket, TicketEvent
from addons.tickets.services import rotate_intake_token

pytestmark = pytest.mark.django_db

URL = "/tickets/intake"


@pytest.fixture
def payload(addon):
    return {
        "addon": addon.slug,
        "subject": "Backups failing",
        "body": "The nightly backup job exits with code 3.",
        "requester_email": "Ops@Customer.example",
    }


def post(client, body, token=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL, data=data, content_type=content_type, headers=headers)


def assert_refused(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["message"]
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_a_good_token_opens_a_ticket(client, payload, intake_token, resource):
    payload |= {"resource": str(resource.uuid), "priority": "high"}

    response = post(client, payload, intake_token)

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {"id": ticket.pk, "number": ticket.number}
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.resource == resource
    assert ticket.priority == "high"
    assert ticket.requester_email == "ops@customer.example"
    assert ticket.escalated_at is None
    (event,) = ticket.events.all()
    assert event.kind == "created"
    assert event.details == {"source": "intake"}
    assert event.body == payload["body"]


def test_escalate_true_escalates_and_emails_the_company(
    client, payload, intake_token, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, payload | {"escalate": True}, intake_token)

    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.escalated_at is not None
    assert [m.to for m in mailoutbox] == [["manager@example.com"]]


def test_no_token_is_401(client, payload, intake_token):
    response = post(client, payload)

    assert_refused(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token abc"])
def test_a_malformed_authorization_header_is_401(client, payload, intake_token, header):
    response = client.post(
        URL,
        data=json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": header},
    )

    assert_refused(response, 401)


def test_a_wrong_token_is_401(client, payload, intake_token):
    assert_refused(post(client, payload, intake_token + "x"), 401)


def test_an_addon_without_a_token_accepts_none(client, payload, addon):
    assert addon.intake_token_hash == ""

    assert_refused(post(client, payload, "anything"), 401)


def test_another_addons_token_cannot_post_to_this_addon(client, payload, intake_token, other_addon):
    other_token = rotate_intake_token(addon=other_addon)

    assert_refused(post(client, payload, other_token), 401)


def test_an_unknown_addon_gets_the_same_answer_as_a_wrong_token(client, payload, intake_token):
    unknown = post(client, payload | {"addon": "nope"}, intake_token)
    wrong = post(client, payload, "wrong")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"a string"', b"null"],
    ids=["broken", "not-utf8", "empty", "array", "string", "null"],
)
def test_a_body_that_is_not_a_json_object_is_400(client, intake_token, body):
    assert_refused(post(client, body, intake_token), 400)


def test_a_huge_body_is_413(client, payload, intake_token):
    payload["body"] = "x" * (64 * 1024 + 1)

    assert_refused(post(client, payload, intake_token), 413)


def test_a_non_json_content_type_is_415(client, payload, intake_token):
    response = post(client, json.dumps(payload), intake_token, content_type="text/plain")

    assert_refused(response, 415)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject": None}, "subject"),
        ({"subject": 42}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "at most 200"),
        ({"body": ["list"]}, "body"),
        ({"body": ""}, "body"),
        ({"requester_email": "not-an-email"}, "requester_email"),
        ({"requester_email": 7}, "requester_email"),
        ({"priority": "asap"}, "priority"),
        ({"priority": 1}, "priority"),
        ({"escalate": "yes"}, "escalate"),
        ({"escalate": 1}, "escalate"),
        ({"resource": "not-a-uuid"}, "resource"),
        ({"resource": 123}, "resource"),
        ({"resource": "00000000-0000-0000-0000-000000000000"}, "resource"),
        ({"prioriti": "high"}, "Unknown field"),
    ],
)
def test_bad_fields_are_422_with_a_clear_message(client, payload, intake_token, change, message):
    response = post(client, payload | change, intake_token)

    assert_refused(response, 422)
    assert message in response.json()["message"]


@pytest.mark.parametrize("field", ["subject", "body", "requester_email"])
def test_a_missing_field_is_422(client, payload, intake_token, field):
    del payload[field]

    response = post(client, payload, intake_token)

    assert_refused(response, 422)
    assert field in response.json()["message"]


def test_a_resource_of_another_addon_is_refused(
    client, payload, intake_token, other_addon, resource
):
    resource.addon = other_addon
    resource.save()

    assert_refused(post(client, payload | {"resource": str(resource.uuid)}, intake_token), 422)


def test_get_is_405(client):
    response = client.get(URL)

    assert response.status_code == 405
    assert response.json()["message"]


def test_a_failure_while_writing_leaves_no_row(client, payload, intake_token, monkeypatch):
    from accounts.models import Notification

    def mail_rendering_breaks(**kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr("addons.tickets.services.notify_ticket_event", mail_rendering_breaks)
    client.raise_request_exception = False

    response = post(client, payload | {"escalate": True}, intake_token)

    assert response.status_code == 500
    assert not Ticket.objects.exists()
    assert not Notification.objects.exists()


def test_set_intake_token_prints_a_token_that_works(client, payload, addon, capsys):
    call_command("set_intake_token", addon.slug)
    token = capsys.readouterr().out.strip()

    addon.refresh_from_db()
    assert token not in addon.intake_token_hash
    assert addon.intake_token_matches(token)
    assert post(client, payload, token).status_code == 201


def test_set_intake_token_replaces_the_old_token(client, payload, intake_token, addon):
    call_command("set_intake_token", addon.slug)

    assert_refused(post(client, payload, intake_token), 401)


def test_set_intake_token_for_an_unknown_addon_fails(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No add-on"):
        call_command("set_intake_token", "nope")
    assert not Addon.objects.exclude(intake_token_hash="").exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)


@hypothesis.settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(
    changes=st.dictionaries(
        st.sampled_from(
            ["addon", "subject", "body", "requester_email", "resource", "priority", "escalate", "x"]
        ),
        json_values,
        max_size=4,
    )
)
def test_any_json_gets_a_clear_answer_never_a_500(client, payload, intake_token, changes):
    before = Ticket.objects.count()

    response = post(client, payload | changes, intake_token)

    # 400: Infinity (json.dumps writes float("inf") so), which no JSON can store.
    assert response.status_code in {201, 400, 401, 422}, response.content
    if response.status_code != 201:
        assert response.json()["message"]
        assert Ticket.objects.count() == before


# Bad input that gave a 500 or was stored as sent (issue 13) ------------------------------------
@pytest.mark.parametrize("depth", [6, 5_000, 20_000, 30_000])
def test_a_deeply_nested_field_is_400_naming_it(client, payload, intake_token, depth):
    # Past about 10,000 levels Python's parser raises RecursionError; the body is still < 64 KiB.
    raw = json.dumps(payload | {"subject": None}).replace("null", "[" * depth + "]" * depth)

    response = post(client, raw, intake_token)

    assert_refused(response, 400)
    assert (
        "“subject” nests arrays and objects more than 5 levels deep" in response.json()["message"]
    )


def test_a_document_nested_too_deep_for_python_is_400(client, intake_token):
    response = post(client, "[" * 30_000 + "]" * 30_000, intake_token)

    assert_refused(response, 400)


@pytest.mark.parametrize(
    ("subject", "chars"),
    [
        ("Backups\nfailing", "U+000A"),
        ("Backups\tfailing", "U+0009"),
        ("\x1b[31mBackups failing", "U+001B"),
        ("Backups \u0085failing", "U+0085"),
        ("Backups\u2028failing", "U+2028"),
        ("gnilfai \u202eBackups", "U+202E"),
    ],
)
def test_a_subject_is_one_line_of_text(client, payload, intake_token, subject, chars):
    response = post(client, payload | {"subject": subject}, intake_token)

    assert_refused(response, 422)
    message = response.json()["message"]
    assert message.startswith("subject contains control, line-break or text-direction characters")
    assert chars in message


def test_a_body_may_hold_tabs_and_line_breaks(client, payload, intake_token):
    body = "Steps:\n\t1. run the job\r\n\t2. \x1b[31mERROR\x1b[0m exit 3"

    response = post(client, payload | {"body": body}, intake_token)

    assert response.status_code == 201
    assert Ticket.objects.get().events.get().body == body


@pytest.mark.parametrize(
    "email",
    [
        "ops\u200b@customer.example",
        "ops@cust\u200bomer.example",
        "ops@customer.example\u202e",
        "ops@cust\u00adomer.example",
        "ops@customer.example\x00",
    ],
)
def test_a_look_alike_requester_email_is_422(client, payload, intake_token, email):
    response = post(client, payload | {"requester_email": email}, intake_token)

    assert_refused(response, 422)
    assert response.json()["message"].startswith("requester_email")


def test_the_requester_email_is_stored_in_the_normal_form(client, payload, intake_token):
    response = post(client, payload | {"requester_email": " Ops@Cafe\u0301.Example "}, intake_token)

    assert response.status_code == 201
    assert Ticket.objects.get().requester_email == "ops@caf\u00e9.example"
