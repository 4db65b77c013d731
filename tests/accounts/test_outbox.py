"""The outbox: at most once, nothing lost while the mail server or the broker is down."""

import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from accounts import outbox
from accounts.models import Notification
from accounts.outbox import (
    MAX_ATTEMPTS,
    deliver_due_notifications,
    deliver_notification,
    queue_email,
)
from accounts.schedules import ensure_schedules, outbox_schedules
from addons.tickets.services import add_internal_note, reply_to_ticket

pytestmark = pytest.mark.django_db


class FlakyMailServer(BaseEmailBackend):
    """A mail backend that refuses every message while `down`, and records what it accepts."""

    down = True
    accepted: list = []

    def send_messages(self, email_messages):
        if type(self).down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        type(self).accepted.extend(email_messages)
        return len(email_messages)


@pytest.fixture
def mail_server_down(settings):
    """The default mailer fails until the test sets `FlakyMailServer.down = False`."""
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FlakyMailServer"}}
    FlakyMailServer.down = True
    FlakyMailServer.accepted = []
    yield FlakyMailServer
    FlakyMailServer.accepted = []


@pytest.fixture
def queued_notification(company):
    """A notification written to the outbox whose send task has not run."""
    return queue_email(
        email="Someone@Example.com",
        template="ticket_requester",
        context={
            "ticket": {"number": 7, "subject": "Hi", "get_status_display": "Open"},
            "event": {"kind": "status_changed"},
            "addon": {"name": "Acme DB"},
            "summary": "status changed to open",
        },
        kind="test",
        dedupe_key="test:1",
        company=company,
    )


def test_a_mail_outage_loses_nothing_and_sends_each_mail_once(
    mail_server_down,
    manager,
    supporter,
    escalated_ticket,
    django_capture_on_commit_callbacks,
    time_machine,
):
    # The change happens while the mail server is down: it is saved, the mails wait.
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_ticket(ticket=escalated_ticket, body="Try again now.", actor=supporter.user)
        add_internal_note(ticket=escalated_ticket, body="Watch it.", actor=supporter.user)
    expected = [
        "customer@example.org",  # the reply
        "manager@example.com",  # escalation (in the fixture), reply, note
        "manager@example.com",
        "manager@example.com",
        "support@example.com",  # escalation only: they wrote the reply and the note
    ]
    outbox = Notification.objects.all()
    assert sorted(outbox.values_list("email", flat=True)) == expected
    assert all(n.status == "pending" and n.attempts == 1 for n in outbox)
    assert all("SMTPServerDisconnected" in n.last_error for n in outbox)
    assert mail_server_down.accepted == []

    # Still down at the next sweeps: nothing due yet (backoff), then another failed attempt.
    assert deliver_due_notifications() == 0
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    assert deliver_due_notifications() == 0
    assert set(outbox.values_list("attempts", flat=True)) == {2}

    # The server is back; once the backoff has passed the sweep sends everything, once.
    mail_server_down.down = False
    time_machine.move_to(timezone.now() + timedelta(minutes=3))
    assert deliver_due_notifications() == 5
    assert deliver_due_notifications() == 0
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    assert deliver_due_notifications() == 0

    sent_to = sorted(address for m in mail_server_down.accepted for address in m.to)
    assert sent_to == expected
    assert len({(m.to[0], m.subject) for m in mail_server_down.accepted}) == 5
    assert set(outbox.values_list("status", "last_error")) == {("sent", "")}


def test_the_task_running_twice_sends_once(queued_notification, mailoutbox):
    assert deliver_notification(queued_notification.pk) is True
    assert deliver_notification(queued_notification.pk) is False
    deliver_due_notifications()

    assert len(mailoutbox) == 1
    queued_notification.refresh_from_db()
    assert queued_notification.status == "sent"
    assert queued_notification.attempts == 1


def test_a_row_claimed_by_another_worker_is_not_sent_again(queued_notification, mailoutbox):
    Notification.objects.filter(pk=queued_notification.pk).update(
        status="sending", next_attempt_at=timezone.now() + outbox.STALE_CLAIM
    )

    assert deliver_notification(queued_notification.pk) is False
    assert deliver_due_notifications() == 0
    assert mailoutbox == []


def test_a_claim_whose_worker_died_is_retried_after_its_lease(
    queued_notification, mailoutbox, time_machine
):
    Notification.objects.filter(pk=queued_notification.pk).update(
        status="sending", next_attempt_at=timezone.now() + outbox.STALE_CLAIM
    )
    time_machine.move_to(timezone.now() + outbox.STALE_CLAIM + timedelta(seconds=1))

    assert deliver_due_notifications() == 1
    assert len(mailoutbox) == 1


def test_a_long_due_row_is_not_taken_for_a_stale_claim(queued_notification, time_machine):
    # Claimed late (say, after a long outage): its lease starts at the claim, not when it was due.
    time_machine.move_to(timezone.now() + timedelta(hours=1))
    Notification.objects.filter(pk=queued_notification.pk).update(
        status="sending", next_attempt_at=timezone.now() + outbox.STALE_CLAIM
    )

    deliver_due_notifications()

    assert Notification.objects.get(pk=queued_notification.pk).status == "sending"


def test_after_max_attempts_a_row_is_marked_failed_with_its_error(
    mail_server_down, queued_notification
):
    Notification.objects.filter(pk=queued_notification.pk).update(attempts=MAX_ATTEMPTS - 1)

    assert deliver_notification(queued_notification.pk) is False

    queued_notification.refresh_from_db()
    assert queued_notification.status == "failed"
    assert "Connection unexpectedly closed" in queued_notification.last_error


def test_the_same_dedupe_key_is_queued_once_per_address(queued_notification, company):
    again = queue_email(
        email="someone@example.com",
        template="ticket_requester",
        context={"ticket": {}, "event": {}, "addon": {}},
        kind="test",
        dedupe_key="test:1",
        company=company,
    )

    assert again is None
    assert Notification.objects.count() == 1


def test_a_broker_outage_keeps_the_change_and_the_sweep_sends_later(
    manager, escalated_ticket, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(outbox, "async_task", broker_down)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_internal_note(ticket=escalated_ticket, body="Noted.", actor=None)
    assert mailoutbox == []
    assert escalated_ticket.events.filter(kind="internal_note").exists()

    assert deliver_due_notifications() == 1
    assert [m.to for m in mailoutbox] == [["manager@example.com"]]


def test_a_failing_change_writes_no_notification(manager, escalated_ticket):
    before = Notification.objects.count()
    with pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            add_internal_note(ticket=escalated_ticket, body="Noted.", actor=None)
            raise RuntimeError("the rest of the change failed")

    assert Notification.objects.count() == before


def test_a_long_subject_is_cut_to_fit(company):
    notification = queue_email(
        email="a@example.com",
        template="ticket_event",
        context={
            "ticket": {"number": 1, "subject": "x" * 300},
            "event": {"kind": "public_reply", "body": "b"},
            "addon": {"name": "A" * 100},
            "summary": "new reply",
        },
        kind="test",
        dedupe_key="test:long",
    )

    assert len(notification.subject) == 255
    assert notification.subject.endswith("…")


def test_ensure_schedules_is_idempotent():
    from django_q.models import Schedule

    ensure_schedules(outbox_schedules())
    Schedule.objects.filter(name="deliver-due-notifications").update(minutes=30)
    ensure_schedules(outbox_schedules())

    schedule = Schedule.objects.get(name="deliver-due-notifications")
    assert schedule.func == "accounts.outbox.deliver_due_notifications"
    assert schedule.minutes == 1
    assert schedule.repeats == -1
    assert Schedule.objects.filter(name="deliver-due-notifications").count() == 1
