"""Operators open and escalate tickets in the admin, through the same services."""

import pytest

from accounts.models import Notification
from addons.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_the_add_form_opens_a_ticket_through_the_service(
    operator_client,
    operator,
    addon,
    resource,
    manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            "/admin/addons/ticket/add/",
            {
                "addon": addon.pk,
                "resource": resource.pk,
                "subject": "Customer reports outage",
                "requester_email": "cto@customer.example",
                "priority": "urgent",
                "body": "Everything is down.",
                "escalate": "on",
            },
        )

    assert response.status_code == 302, response.content
    ticket = Ticket.objects.get()
    assert ticket.escalated_at is not None
    assert [e.kind for e in ticket.events.all()] == ["created", "escalated"]
    created = ticket.events.first()
    assert created.actor == operator
    assert created.details == {"source": "admin"}
    assert [m.to for m in mailoutbox] == [["manager@example.com"]]


def test_the_add_form_refuses_a_resource_of_another_addon(
    operator_client, addon, other_addon, resource
):
    response = operator_client.post(
        "/admin/addons/ticket/add/",
        {
            "addon": other_addon.pk,
            "resource": resource.pk,
            "subject": "x",
            "requester_email": "a@b.example",
            "priority": "normal",
            "body": "y",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "resource": ["That resource does not belong to this add-on."]
    }
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_the_escalate_action_escalates_once(
    operator_client, new_ticket, manager, mailoutbox, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = operator_client.post(
                "/admin/addons/ticket/",
                {"action": "escalate", "_selected_action": [new_ticket.pk]},
            )
        assert response.status_code == 302

    assert new_ticket.events.filter(kind="escalated").count() == 1
    assert [m.to for m in mailoutbox] == [["manager@example.com"]]
    page = operator_client.get("/admin/addons/ticket/").content.decode()
    assert (
        f"Escalated 0 ticket(s); skipped 1. #{new_ticket.number}: "
        "This ticket is already in the add-on&#x27;s support queue."
    ) in page


def test_the_change_form_changes_status_through_the_service(operator_client, escalated_ticket):
    response = operator_client.post(
        f"/admin/addons/ticket/{escalated_ticket.pk}/change/",
        {
            "status": "solved",
            "priority": "normal",
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302, response.content
    escalated_ticket.refresh_from_db()
    assert escalated_ticket.status == "solved"
    assert escalated_ticket.events.last().kind == "status_changed"


def change(client, ticket, **data):
    return client.post(
        f"/admin/addons/ticket/{ticket.pk}/change/",
        {**data, "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0},
    )


def test_the_change_form_closes_and_reprioritises_at_once(operator_client, escalated_ticket):
    response = change(operator_client, escalated_ticket, status="closed", priority="urgent")

    assert response.status_code == 302, response.content
    escalated_ticket.refresh_from_db()
    assert (escalated_ticket.status, escalated_ticket.priority) == ("closed", "urgent")
    assert [e.kind for e in escalated_ticket.events.order_by("id")][-2:] == [
        "priority_changed",
        "status_changed",
    ]


def test_a_change_the_service_refuses_is_a_form_error_and_writes_nothing(
    operator_client, closed_ticket
):
    events = closed_ticket.events.count()

    response = change(operator_client, closed_ticket, status="open", priority="urgent")

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This ticket is closed; open a new ticket instead."
    ]
    closed_ticket.refresh_from_db()
    assert (closed_ticket.status, closed_ticket.priority) == ("closed", "normal")
    assert closed_ticket.events.count() == events


def test_the_change_page_shows_the_history(operator_client, escalated_ticket):
    response = operator_client.get(f"/admin/addons/ticket/{escalated_ticket.pk}/change/")

    assert response.status_code == 200
    assert b"Queries take 10 s" in response.content


def test_the_outbox_shows_pending_and_failed_rows_with_their_error(operator_client, company):
    Notification.objects.create(
        email="a@example.com",
        kind="ticket_event",
        dedupe_key="k1",
        subject="Stuck mail",
        body_text="x",
        status="failed",
        last_error="SMTPServerDisconnected: gone",
    )
    listing = operator_client.get("/admin/accounts/notification/?status__exact=failed")
    row = Notification.objects.get()
    page = operator_client.get(f"/admin/accounts/notification/{row.pk}/change/")

    assert b"a@example.com" in listing.content
    assert b"SMTPServerDisconnected: gone" in listing.content
    assert b"SMTPServerDisconnected: gone" in page.content
    assert operator_client.get("/admin/accounts/notification/add/").status_code == 403
