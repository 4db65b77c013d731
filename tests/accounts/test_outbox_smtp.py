"""Ticket emails go out through a real SMTP server on loopback."""

import pytest

from accounts.outbox import deliver_due_notifications
from addons.tickets.services import reply_to_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_mailer(settings, smtp_server):
    """MAILERS as portal.settings builds it from EMAIL_URL=smtp://127.0.0.1:<port>."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.hostname, "port": smtp_server.port, "timeout": 5},
        }
    }
    return smtp_server


def test_a_reply_reaches_the_smtp_server_with_both_parts(
    smtp_mailer,
    manager,
    supporter,
    escalated_ticket,
    django_capture_on_commit_callbacks,
    settings,
):
    smtp_mailer.handler.messages.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reply_to_ticket(
            ticket=escalated_ticket, body="Restarted the node; fixed.", actor=supporter.user
        )

    received = {tuple(rcpt): message for rcpt, message in smtp_mailer.handler.messages}
    assert set(received) == {("manager@example.com",), ("customer@example.org",)}

    company_copy = received[("manager@example.com",)]
    number = escalated_ticket.number
    assert company_copy["Subject"] == f"[Acme Search] Ticket #{number} new reply: Database is slow"
    assert company_copy["To"] == "manager@example.com"
    assert company_copy.get_content_type() == "multipart/alternative"
    text = company_copy.get_body(("plain",)).get_content()
    html = company_copy.get_body(("html",)).get_content()
    link = f"{settings.SITE_URL}/tickets/{number}/"
    for part in (text, html):
        assert "Restarted the node; fixed." in part
        assert link in part

    requester_copy = received[("customer@example.org",)]
    assert requester_copy["Subject"] == f"[Acme Search] Your ticket #{number}: new reply"
    assert "Restarted the node; fixed." in requester_copy.get_body(("plain",)).get_content()
    assert "/tickets/" not in requester_copy.get_body(("html",)).get_content()


def test_mail_queued_while_the_smtp_server_is_down_goes_out_once_it_is_up(
    settings, manager, new_ticket, django_capture_on_commit_callbacks
):
    from aiosmtpd.controller import Controller

    from accounts.models import Notification
    from addons.tickets.services import escalate_ticket
    from tests.smtp import MessageCollector, free_port

    port = free_port()  # nothing listens here yet
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }

    with django_capture_on_commit_callbacks(execute=True):
        escalate_ticket(ticket=new_ticket)

    row = Notification.objects.get()
    assert row.status == "pending"
    assert "ConnectionRefusedError" in row.last_error

    collector = MessageCollector()
    server = Controller(collector, hostname="127.0.0.1", port=port)
    server.start()
    try:
        Notification.objects.update(next_attempt_at=row.created_at)
        assert deliver_due_notifications() == 1
        assert deliver_due_notifications() == 0
    finally:
        server.stop()
    assert [rcpt for rcpt, _ in collector.messages] == [["manager@example.com"]]
