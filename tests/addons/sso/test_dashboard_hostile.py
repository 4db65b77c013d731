"""Hostile input to the dashboard's ticket form, as a Heroku user with an SSO session.

An accepted form opens one whole ticket (escalated, with its events and e-mails) whose subject is
one line and whose requester is the SSO user; a refused one is a 400 with nothing written.
"""

import hypothesis
import pytest
from django.urls import reverse

from accounts.models import Notification
from addons.models import Ticket, TicketEvent
from tests.builders import HEROKU_EMAIL
from tests.hostile import FORM_SETTINGS, assert_text_rules, form_changes, post_form, rows

pytestmark = pytest.mark.django_db


@FORM_SETTINGS
@hypothesis.given(changes=form_changes(["subject", "body"]))
def test_any_dashboard_ticket_form_opens_one_whole_ticket_or_is_refused(
    sso_client, resource, changes
):
    url = reverse("addons:dashboard-ticket-create", args=[resource.uuid])
    before = rows(Ticket, TicketEvent, Notification)

    response = post_form(sso_client, url, {"subject": "Slow", "body": "It is slow."} | changes)

    if response.status_code == 302:
        ticket = Ticket.objects.latest("pk")
        assert len(rows(Ticket)["Ticket"]) == len(before["Ticket"]) + 1
        assert ticket.requester_email == HEROKU_EMAIL.lower()
        assert ticket.escalated_at is not None
        assert_text_rules({"subject": ticket.subject}, one_line=("subject",))
        assert_text_rules({"body": ticket.events.first().body})
    else:
        assert response.status_code == 400, response.status_code
        assert rows(Ticket, TicketEvent, Notification) == before
