"""One character rule for tickets, on every path: the service and the admin (the dashboard form:
tests/addons/sso/test_sso_text.py).

A subject is one line of text (portal/text.py): no control, line-break or text-direction
character. A body may hold tabs and line breaks, never a NUL or a lone surrogate. The requester's
address follows accounts.addresses: no invisible or format character, stored in its normal form.
"""

import pytest
from django.core.exceptions import ValidationError

from addons.models import Ticket
from addons.tickets.services import TicketSource, open_ticket

pytestmark = pytest.mark.django_db

BAD_SUBJECTS = ["Slow\nreally", "Slow\tqueries", "\x1b[31mSlow", "Slow\x07", "olS \u202ew"]
LOOK_ALIKES = [
    "cto\u200b@customer.example",
    "cto@custo\u200dmer.example",
    "cto@customer.example\u202e",
]


def open_with(addon, **fields):
    values = {
        "subject": "Slow queries",
        "body": "It is slow.",
        "requester_email": "cto@customer.example",
    } | fields
    return open_ticket(addon=addon, source=TicketSource.ADMIN, **values)


@pytest.mark.parametrize("subject", BAD_SUBJECTS)
def test_the_service_refuses_a_subject_that_is_not_one_line(addon, subject):
    with pytest.raises(ValidationError) as refusal:
        open_with(addon, subject=subject)

    assert list(refusal.value.message_dict) == ["subject"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("email", LOOK_ALIKES)
def test_the_service_refuses_a_look_alike_address(addon, email):
    with pytest.raises(ValidationError) as refusal:
        open_with(addon, requester_email=email)

    assert list(refusal.value.message_dict) == ["requester_email"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", ["a\x00b", "a\ud800b"])
def test_the_service_refuses_an_unstorable_body(addon, body):
    with pytest.raises(ValidationError) as refusal:
        open_with(addon, body=body)

    assert list(refusal.value.message_dict) == ["body"]
    assert not Ticket.objects.exists()


def test_the_service_stores_the_address_in_its_normal_form(addon):
    ticket = open_with(addon, requester_email=" CTO@Cafe\u0301.example ")

    assert ticket.requester_email == "cto@caf\u00e9.example"


def admin_ticket(addon, **fields):
    return {
        "addon": addon.pk,
        "subject": "Customer reports outage",
        "requester_email": "cto@customer.example",
        "priority": "normal",
        "body": "Everything is down.",
    } | fields


@pytest.mark.parametrize(
    ("field", "value"),
    [*(("subject", s) for s in BAD_SUBJECTS), *(("requester_email", e) for e in LOOK_ALIKES)],
)
def test_the_admin_refuses_what_the_service_refuses(operator_client, addon, field, value):
    response = operator_client.post(
        "/admin/addons/ticket/add/", admin_ticket(addon, **{field: value})
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Ticket.objects.exists()
