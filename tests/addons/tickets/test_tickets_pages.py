"""The portal's ticket pages: who may see them, and what they do."""

import pytest
from django.urls import reverse

from accounts.models import CompanyUser
from addons.models import Ticket
from addons.tickets.services import TicketSource, assign_ticket, open_ticket

pytestmark = pytest.mark.django_db

LIST = reverse("addons:ticket-list")


def detail(ticket):
    return reverse("addons:ticket-detail", args=[ticket.pk])


def change(status, *, priority="normal", assignee=""):
    """The ticket page's one form for status, priority and assignee."""
    return {"action": "change", "status": status, "priority": priority, "assignee": assignee}


def make_tickets(addon, count):
    for n in range(count):
        open_ticket(
            addon=addon,
            subject=f"Problem {n}",
            body="Details.",
            requester_email=f"c{n}@example.org",
            priority="high" if n % 2 else "normal",
            source=TicketSource.DASHBOARD,
        )


# Who may see the pages -------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, new_ticket):
    for url in (LIST, detail(new_ticket)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_anonymous_cannot_post(client, new_ticket):
    response = client.post(detail(new_ticket), change("solved"))

    assert response.status_code == 302
    assert Ticket.objects.get().status == "new"


def test_a_member_without_support_tickets_gets_403(client, member_without_support, new_ticket):
    client.force_login(member_without_support.user)

    assert client.get(LIST).status_code == 403
    assert client.get(detail(new_ticket)).status_code == 403
    response = client.post(detail(new_ticket), {"action": "message", "body": "x"})
    assert response.status_code == 403
    assert new_ticket.events.count() == 1


def test_another_companys_member_gets_404_for_the_ticket(client, other_company_user, new_ticket):
    client.force_login(other_company_user.user)

    assert client.get(detail(new_ticket)).status_code == 404
    response = client.post(detail(new_ticket), {"action": "message", "body": "x"})
    assert response.status_code == 404
    assert new_ticket.events.count() == 1


def test_another_companys_member_does_not_see_the_ticket_in_their_list(
    client, other_company_user, new_ticket
):
    client.force_login(other_company_user.user)

    response = client.get(LIST)

    assert response.status_code == 200
    assert list(response.context["tickets"]) == []


def test_a_permitted_member_sees_the_list_and_the_ticket(client, supporter, new_ticket):
    client.force_login(supporter.user)

    response = client.get(LIST)
    assert response.status_code == 200
    assert list(response.context["tickets"]) == [new_ticket]
    assert response.content.count(b"<h1") == 1

    response = client.get(detail(new_ticket))
    assert response.status_code == 200
    assert b"Queries take 10 s since this morning." in response.content
    assert response.content.count(b"<h1") == 1


def test_a_revoked_user_loses_access_at_once(client, supporter, new_ticket):
    client.force_login(supporter.user)
    CompanyUser.objects.filter(user=supporter.user).delete()

    assert client.get(LIST).status_code == 403
    assert client.get(detail(new_ticket)).status_code == 404


def test_an_unknown_ticket_is_404(client, supporter):
    client.force_login(supporter.user)

    assert client.get("/tickets/999999/").status_code == 404


def test_a_user_of_two_companies_sees_both_companies_tickets(
    client, supporter, new_ticket, other_company, other_addon
):
    CompanyUser.objects.create(company=other_company, user=supporter.user)
    make_tickets(other_addon, 1)
    client.force_login(supporter.user)

    response = client.get(LIST)

    assert {t.addon.slug for t in response.context["tickets"]} == {"acme-search", "other-cache"}


# The list --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "subjects"),
    [
        ({"priority": "high"}, ["Problem 1"]),
        ({"status": "new", "priority": "normal"}, ["Problem 2", "Problem 0"]),
        ({"status": "solved"}, []),
        ({"addon": "acme-search"}, ["Problem 2", "Problem 1", "Problem 0"]),
        ({"addon": "other-cache"}, ["Problem 2", "Problem 1", "Problem 0"]),  # not theirs: ignored
        ({"priority": "bogus"}, ["Problem 2", "Problem 1", "Problem 0"]),
    ],
)
def test_the_list_filters(client, supporter, addon, other_addon, query, subjects):
    make_tickets(addon, 3)
    client.force_login(supporter.user)

    response = client.get(LIST, query)

    assert [t.subject for t in response.context["tickets"]] == subjects


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_fixed_number_of_queries(
    client, supporter, addon, resource, count, django_assert_num_queries
):
    make_tickets(addon, count)
    Ticket.objects.update(resource=resource)
    client.force_login(supporter.user)

    # session, user, memberships, add-ons for the filter, count, page of tickets (with add-on,
    # resource and assignee joined), the header's memberships
    with django_assert_num_queries(7):
        response = client.get(LIST, {"priority": "high"} if count == 50 else {})
    assert response.status_code == 200


# The ticket page's forms -----------------------------------------------------------------------


def test_a_public_reply_is_saved_and_shown(client, supporter, new_ticket):
    client.force_login(supporter.user)

    response = client.post(
        detail(new_ticket), {"action": "message", "body": "Fixed now.", "visibility": "public"}
    )

    assert response.status_code == 302
    event = new_ticket.events.last()
    assert (event.kind, event.body, event.actor) == ("public_reply", "Fixed now.", supporter.user)
    assert b"Fixed now." in client.get(detail(new_ticket)).content


def test_an_internal_note_is_saved(client, supporter, new_ticket):
    client.force_login(supporter.user)

    client.post(detail(new_ticket), {"action": "message", "body": "Hm.", "visibility": "internal"})

    assert new_ticket.events.last().kind == "internal_note"


def test_one_form_changes_status_priority_and_assignee(client, supporter, new_ticket):
    client.force_login(supporter.user)

    response = client.post(
        detail(new_ticket), change("pending", priority="urgent", assignee=supporter.user.pk)
    )

    assert response.status_code == 302
    new_ticket.refresh_from_db()
    assert (new_ticket.status, new_ticket.priority, new_ticket.assignee) == (
        "pending",
        "urgent",
        supporter.user,
    )
    # One event per changed field, as the single-field services record them.
    assert [(e.kind, e.details) for e in new_ticket.events.all()[1:]] == [
        ("priority_changed", {"from": "normal", "to": "urgent"}),
        ("assigned", {"from": None, "to": supporter.user.email}),
        ("status_changed", {"from": "new", "to": "pending"}),
    ]


def test_the_history_shows_labels_not_raw_values(client, supporter, new_ticket):
    client.force_login(supporter.user)
    client.post(detail(new_ticket), change("open"))

    html = client.get(detail(new_ticket)).content.decode()

    assert "New → Open" in html
    assert "new → open" not in html


def test_closing_asks_for_a_confirmation_first(client, supporter, new_ticket):
    client.force_login(supporter.user)

    response = client.post(detail(new_ticket), change("closed"))

    assert response.status_code == 200
    assert b"Yes, close the ticket" in response.content
    assert Ticket.objects.get().status == "new"

    response = client.post(detail(new_ticket), {**change("closed"), "confirmed": "yes"})

    assert response.status_code == 302
    assert Ticket.objects.get().status == "closed"


def test_the_customers_words_come_first(client, supporter, new_ticket):
    client.force_login(supporter.user)

    html = client.get(detail(new_ticket)).content.decode()

    body = new_ticket.events.first().body
    assert html.index(body) < html.index("<h2>History</h2>")
    assert '<blockquote class="ticket-words">' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "message", "body": "", "visibility": "public"}, b"This field is required"),
        ({"action": "change", "status": "nonsense", "priority": "normal"}, b"Select a valid"),
        ({"action": "change", "status": "new", "priority": "normal"}, b"Nothing changed"),
    ],
)
def test_bad_input_shows_the_form_again_with_a_message(
    client, supporter, new_ticket, data, message
):
    client.force_login(supporter.user)

    response = client.post(detail(new_ticket), data)

    assert response.status_code == 400
    assert message in response.content
    assert new_ticket.events.count() == 1


def test_a_closed_ticket_takes_nothing_more(client, supporter, closed_ticket):
    client.force_login(supporter.user)
    events = closed_ticket.events.count()

    page = client.get(detail(closed_ticket))
    response = client.post(
        detail(closed_ticket), {"action": "message", "body": "More", "visibility": "public"}
    )

    assert b"This ticket is closed" in page.content
    assert response.status_code == 400
    assert b"closed" in response.content
    assert closed_ticket.events.count() == events


def test_pages_have_labels_and_no_inline_script_or_style(client, supporter, new_ticket):
    client.force_login(supporter.user)

    for url in (LIST, detail(new_ticket)):
        html = client.get(url).content.decode()
        assert "<script>" not in html
        assert " style=" not in html
        assert "<style" not in html
        for field_id in ("id_status", "id_priority", "id_body", "id_addon"):
            if f'id="{field_id}"' in html:
                assert f'for="{field_id}"' in html


# The list's filters, search and sorting --------------------------------------------------------


def test_the_list_filters_by_assignee_and_searches(client, supporter, manager, addon):
    make_tickets(addon, 3)
    first, second, third = Ticket.objects.order_by("id")
    assign_ticket(ticket=first, assignee=supporter.user, actor=manager.user)
    assign_ticket(ticket=second, assignee=manager.user, actor=manager.user)
    client.force_login(supporter.user)

    def listed(**query):
        return [t.pk for t in client.get(LIST, query).context["tickets"]]

    assert listed(assignee="me") == [first.pk]
    assert listed(assignee="nobody") == [third.pk]
    assert listed(q="problem 1") == [second.pk]
    assert listed(q="c2@EXAMPLE") == [third.pk]


def test_the_list_sorts(client, supporter, addon):
    make_tickets(addon, 4)  # priorities: normal, high, normal, high
    client.force_login(supporter.user)

    by_priority = client.get(LIST, {"sort": "priority"}).context["tickets"]
    oldest = client.get(LIST, {"sort": "oldest"}).context["tickets"]

    assert [t.priority for t in by_priority] == ["high", "high", "normal", "normal"]
    assert [t.subject for t in oldest] == [f"Problem {n}" for n in range(4)]


def test_the_list_shows_the_assignee(client, supporter, manager, addon):
    make_tickets(addon, 1)
    assign_ticket(ticket=Ticket.objects.get(), assignee=manager.user, actor=manager.user)
    client.force_login(supporter.user)

    html = client.get(LIST).content.decode()

    assert '<th scope="col">Assignee</th>' in html
    assert manager.user.email in html


def test_an_invalid_filter_shows_the_error_it_refers_to(client, supporter, addon):
    client.force_login(supporter.user)

    html = client.get(LIST, {"status": "<invalid>"}).content.decode()

    # axe: aria-describedby must point at an element that is rendered.
    assert 'aria-describedby="id_status_error"' in html
    assert 'id="id_status_error"' in html
