"""Who is emailed about a ticket event, and what the emails say."""

import pytest
from django.core import mail

from accounts.models import CompanyUser, Notification
from addons.models import Ticket
from addons.tickets.services import (
    TicketSource,
    add_internal_note,
    change_ticket_priority,
    change_ticket_status,
    escalate_ticket,
    open_ticket,
    reply_as_requester,
    reply_to_ticket,
)

pytestmark = pytest.mark.django_db


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture
def watchers(manager, supporter, muted_agent, member_without_support):
    """Four company users: two who get ticket emails, one muted, one without the right."""
    return [manager.user, supporter.user]


def test_a_new_ticket_emails_nobody_before_escalation(
    watchers, addon, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_ticket(
            addon=addon,
            subject="Help",
            body="It broke.",
            requester_email="customer@example.org",
            source=TicketSource.DASHBOARD,
        )

    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_events_before_escalation_email_only_the_requester(
    watchers, new_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_ticket(ticket=new_ticket, body="Looking into it.", actor=watchers[0])
        add_internal_note(ticket=new_ticket, body="Probably the index.", actor=watchers[0])

    assert recipients() == ["customer@example.org"]


def test_escalation_emails_permitted_users_with_emails_on(
    watchers, new_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        escalate_ticket(ticket=new_ticket)

    assert recipients() == ["manager@example.com", "support@example.com"]
    # They learn of the ticket now, so the email carries what the requester wrote.
    assert "Queries take 10 s since this morning." in mail.outbox[0].body


def test_opening_with_escalate_emails_each_company_user_once(
    watchers, addon, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(
            addon=addon,
            subject="Help",
            body="It broke.",
            requester_email="customer@example.org",
            source=TicketSource.INTAKE,
            escalate=True,
        )

    assert recipients() == ["manager@example.com", "support@example.com"]
    assert all(f"#{ticket.number}" in message.subject for message in mail.outbox)
    assert all("escalated" in message.subject for message in mail.outbox)


@pytest.mark.parametrize(
    ("change", "requester_emailed"),
    [
        (lambda t, actor: reply_to_ticket(ticket=t, body="Fixed.", actor=actor), True),
        (lambda t, actor: change_ticket_status(ticket=t, status="solved", actor=actor), True),
        (lambda t, actor: add_internal_note(ticket=t, body="Sigh.", actor=actor), False),
        (lambda t, actor: change_ticket_priority(ticket=t, priority="high", actor=actor), False),
    ],
    ids=["public_reply", "status_changed", "internal_note", "priority_changed"],
)
def test_after_escalation_every_event_emails_the_others(
    watchers, escalated_ticket, change, requester_emailed, django_capture_on_commit_callbacks
):
    manager_user, supporter = watchers
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        change(escalated_ticket, supporter)

    expected = ["manager@example.com"]  # not the supporter: they acted
    if requester_emailed:
        expected.insert(0, "customer@example.org")
    assert recipients() == expected


def test_an_internal_note_never_reaches_the_requester(
    watchers, escalated_ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_internal_note(ticket=escalated_ticket, body="Customer is on a legacy plan.", actor=None)

    assert "customer@example.org" not in recipients()
    assert not Notification.objects.filter(email="customer@example.org").exists()


def test_the_requester_replying_is_not_emailed_their_own_reply(
    watchers, escalated_ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply_as_requester(ticket=escalated_ticket, body="Still slow.")

    assert recipients() == ["manager@example.com", "support@example.com"]


def test_switching_emails_off_stops_them(
    watchers, escalated_ticket, django_capture_on_commit_callbacks
):
    CompanyUser.objects.filter(user=watchers[1]).update(notify_on_ticket_events=False)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        add_internal_note(ticket=escalated_ticket, body="Note.", actor=None)

    assert recipients() == ["manager@example.com"]


def test_the_setting_is_per_company(
    watchers, escalated_ticket, other_company, django_capture_on_commit_callbacks
):
    # The supporter mutes another company; this company's tickets still reach them.
    CompanyUser.objects.create(
        company=other_company, user=watchers[1], notify_on_ticket_events=False
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        add_internal_note(ticket=escalated_ticket, body="Note.", actor=None)

    assert recipients() == ["manager@example.com", "support@example.com"]


def test_a_revoked_user_gets_nothing_after_revocation(
    watchers, escalated_ticket, django_capture_on_commit_callbacks
):
    CompanyUser.objects.filter(user=watchers[1]).delete()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        add_internal_note(ticket=escalated_ticket, body="Note.", actor=None)

    assert recipients() == ["manager@example.com"]


def test_a_user_revoked_while_their_email_waits_in_the_outbox_never_gets_it(
    watchers, escalated_ticket, django_capture_on_commit_callbacks
):
    # The event is written while the user is still a member; delivery happens after revocation.
    with django_capture_on_commit_callbacks(execute=False):
        add_internal_note(ticket=escalated_ticket, body="Secret plans.", actor=None)
    mail.outbox.clear()
    CompanyUser.objects.filter(user=watchers[1]).delete()

    from accounts.outbox import deliver_due_notifications

    deliver_due_notifications()

    assert recipients() == ["manager@example.com"]
    waiting = Notification.objects.get(
        email="support@example.com", subject__contains="internal note"
    )
    assert waiting.status == Notification.Status.FAILED
    assert "no longer" in waiting.last_error


def test_one_notification_row_per_recipient_keyed_by_the_event(
    watchers, escalated_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = reply_to_ticket(ticket=escalated_ticket, body="Hi", actor=None)

    rows = Notification.objects.filter(dedupe_key=f"ticket-event:{event.pk}")
    assert sorted(rows.values_list("email", flat=True)) == [
        "customer@example.org",
        "manager@example.com",
        "support@example.com",
    ]


def test_company_email_has_subject_link_and_both_parts(
    watchers, escalated_ticket, django_capture_on_commit_callbacks, settings
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_internal_note(
            ticket=escalated_ticket, body="Check the <index> & co.", actor=watchers[1]
        )

    (message,) = mail.outbox
    number = escalated_ticket.number
    assert message.subject == f"[Acme Search] Ticket #{number} internal note: Database is slow"
    link = f"{settings.SITE_URL}/tickets/{number}/"
    text = message.body
    html = message.alternatives[0].content
    assert link in text and link in html
    assert "Check the <index> & co." in text  # plain text is not HTML-escaped
    assert "Check the &lt;index&gt; &amp; co." in html
    assert message.alternatives[0].mimetype == "text/html"


def test_requester_copy_has_the_reply_but_no_internal_link_or_note(
    watchers, escalated_ticket, django_capture_on_commit_callbacks, settings
):
    escalated_ticket.addon.set_intake_token("super-secret-token")
    escalated_ticket.addon.save()
    with django_capture_on_commit_callbacks(execute=True):
        add_internal_note(ticket=escalated_ticket, body="INTERNAL-ONLY remark", actor=None)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reply_to_ticket(ticket=escalated_ticket, body="Please retry now.", actor=watchers[1])

    (message,) = [m for m in mail.outbox if m.to == ["customer@example.org"]]
    assert message.subject == f"[Acme Search] Your ticket #{escalated_ticket.number}: new reply"
    addon = escalated_ticket.addon
    for part in (message.body, message.alternatives[0].content):
        assert "Please retry now." in part
        assert settings.SITE_URL not in part
        assert "/tickets/" not in part
        assert "INTERNAL-ONLY" not in part
        assert addon.api_password not in part
        assert addon.sso_salt not in part


def test_requester_status_email_names_the_new_status(
    escalated_ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change_ticket_status(ticket=escalated_ticket, status=Ticket.Status.SOLVED, actor=None)

    (message,) = mail.outbox
    assert message.to == ["customer@example.org"]
    assert "status changed to solved" in message.subject
    assert "is now solved" in message.body
