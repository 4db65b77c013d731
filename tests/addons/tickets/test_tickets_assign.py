"""Assigning a ticket: only to a company user who handles tickets, recorded, and told."""

import pytest
from django.core import mail

from addons.models import Ticket, TicketEvent
from addons.tickets.exceptions import NothingChangedError, TicketAssigneeError, TicketClosedError
from addons.tickets.services import assign_ticket

pytestmark = pytest.mark.django_db


def test_assigning_records_the_event_and_tells_the_other_company_users(
    escalated_ticket, manager, supporter, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event = assign_ticket(ticket=escalated_ticket, assignee=supporter.user, actor=manager.user)

    escalated_ticket.refresh_from_db()
    assert escalated_ticket.assignee == supporter.user
    assert event.kind == TicketEvent.Kind.ASSIGNED
    assert event.details == {"from": None, "to": supporter.user.email}
    # The support agent hears of it; the actor and the requester do not.
    assert [m.to for m in mail.outbox] == [[supporter.user.email]]
    assert f"assigned to {supporter.user.email}" in mail.outbox[0].subject


def test_unassigning_gives_the_ticket_to_nobody(escalated_ticket, manager, supporter):
    assign_ticket(ticket=escalated_ticket, assignee=supporter.user, actor=manager.user)
    event = assign_ticket(ticket=escalated_ticket, assignee=None, actor=manager.user)
    escalated_ticket.refresh_from_db()
    assert escalated_ticket.assignee is None
    assert event.details == {"from": supporter.user.email, "to": None}


@pytest.mark.parametrize("who", ["member_without_support", "other_company_user"])
def test_only_a_company_user_who_handles_tickets_can_be_assigned(
    request, escalated_ticket, manager, who
):
    person = request.getfixturevalue(who).user
    with pytest.raises(TicketAssigneeError, match="handles support tickets"):
        assign_ticket(ticket=escalated_ticket, assignee=person, actor=manager.user)
    escalated_ticket.refresh_from_db()
    assert escalated_ticket.assignee is None
    assert not escalated_ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).exists()


def test_a_closed_ticket_is_not_assigned(closed_ticket, manager, supporter):
    with pytest.raises(TicketClosedError):
        assign_ticket(ticket=closed_ticket, assignee=supporter.user, actor=manager.user)


def test_assigning_the_same_person_again_changes_nothing(escalated_ticket, manager):
    with pytest.raises(NothingChangedError):
        assign_ticket(ticket=escalated_ticket, assignee=None, actor=manager.user)


def test_the_ticket_page_assigns_by_post(client, escalated_ticket, manager, supporter):
    client.force_login(manager.user)
    page = client.get(escalated_ticket.get_absolute_url()).content.decode()
    assert 'name="assignee"' in page and supporter.user.email in page

    response = client.post(
        escalated_ticket.get_absolute_url(),
        {"action": "change", "status": "new", "priority": "normal", "assignee": supporter.user.pk},
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=escalated_ticket.pk).assignee == supporter.user


def test_the_ticket_page_refuses_someone_outside_the_list(
    client, escalated_ticket, manager, other_company_user
):
    client.force_login(manager.user)
    response = client.post(
        escalated_ticket.get_absolute_url(),
        {
            "action": "change",
            "status": "new",
            "priority": "normal",
            "assignee": other_company_user.user.pk,
        },
    )
    assert response.status_code == 400
    assert Ticket.objects.get(pk=escalated_ticket.pk).assignee is None
