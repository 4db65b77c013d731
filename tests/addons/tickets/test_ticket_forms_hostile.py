"""Hostile input to the portal's ticket pages: the four forms of a ticket, and the list's filters.

Every POST is a redirect after one whole change (a ticket event, and its e-mails in the outbox) or
a 400 with nothing written; the list answers any query string with a page. Never a 500.
"""

import hypothesis
import pytest
from django.urls import reverse
from hypothesis import strategies as st

from accounts.models import Notification
from addons.models import Ticket, TicketEvent
from tests.hostile import (
    FORM_SETTINGS,
    assert_text_rules,
    form_body,
    form_changes,
    form_values,
    post_form,
    rows,
)

pytestmark = pytest.mark.django_db

FORMS = {
    "message": {"body": "We are on it.", "visibility": "public"},
    "status": {"status": "open"},
    "priority": {"priority": "high"},
    "assign": {"assignee": ""},
}


@FORM_SETTINGS
@hypothesis.given(
    action=st.sampled_from([*FORMS, "", "x"]),
    changes=form_changes(["body", "visibility", "status", "priority", "assignee", "action"]),
)
def test_any_ticket_form_changes_the_ticket_whole_or_is_refused(
    client, supporter, new_ticket, action, changes
):
    client.force_login(supporter.user)
    before = rows(Ticket, TicketEvent, Notification)
    data = {"action": action, **FORMS.get(action, {})} | changes

    response = post_form(client, reverse("addons:ticket-detail", args=[new_ticket.pk]), data)

    if response.status_code == 302:
        # One change: at most one new event (an unknown action changes nothing).
        assert len(rows(TicketEvent)["TicketEvent"]) <= len(before["TicketEvent"]) + 1
        event = TicketEvent.objects.latest("pk")
        assert_text_rules({"body": event.body})
    else:
        assert response.status_code == 400, response.status_code
        assert rows(Ticket, TicketEvent, Notification) == before


@FORM_SETTINGS
@hypothesis.given(
    query=st.dictionaries(
        st.sampled_from(["status", "priority", "addon", "page", "x"]), form_values
    )
)
def test_any_filter_of_the_list_shows_a_page(client, supporter, new_ticket, query):
    client.force_login(supporter.user)

    response = client.get(reverse("addons:ticket-list") + "?" + form_body(query).decode("ascii"))

    assert response.status_code in {200, 404}, response.status_code  # 404: a page past the end
