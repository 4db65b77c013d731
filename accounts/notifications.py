"""Email through an outbox: a `Notification` row is written in the transaction of the change it
reports, and a django-q2 task sends it after commit.

A row is claimed (pending → sending) by a conditional UPDATE before it is sent, so two runs of the
task never send it twice. A failure puts it back to pending with a later `next_attempt_at`
(exponential backoff); `deliver_due_notifications`, scheduled every minute, picks up whatever is
due, so a mail server that is down when the change happens loses nothing.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A row left "sending" this long belongs to a worker that died mid-send; it is retried. That is
# the one window in which a mail may go out twice: after the server accepted it, before it was
# marked sent.
STALE_CLAIM = timedelta(minutes=15)


def backoff(attempts: int) -> timedelta:
    """Return how long to wait before attempt ATTEMPTS + 1: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Return (subject, text, html) rendered from templates/emails/TEMPLATE_{subject,body}.*."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    return subject, text, html


def queue_email(
    *,
    email: str,
    template: str,
    context: dict,
    kind: str,
    dedupe_key: str,
    company=None,
    recipient=None,
) -> Notification | None:
    """Write one email to the outbox and send it once the current transaction commits.

    Returns None when the same DEDUPE_KEY was already queued for EMAIL (nothing is sent twice).
    """
    subject, text, html = render_email(template, context)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                company=company,
                recipient=recipient,
                email=email.lower(),
                kind=kind,
                dedupe_key=dedupe_key,
                subject=subject,
                body_text=text,
                body_html=html,
            )
    except IntegrityError:
        return None
    transaction.on_commit(
        lambda: async_task("accounts.notifications.deliver_notification", notification.pk)
    )
    return notification


def deliver_notification(notification_id: int) -> bool:
    """Send one notification if it is due and nobody else holds it; return True when sent."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).update(status=Notification.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email],
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any transport failure: keep the row and retry later
        failed_for_good = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED if failed_for_good else Notification.Status.PENDING,
            next_attempt_at=timezone.now() + backoff(notification.attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:1000],
        )
        logger.warning(
            "notification %s not sent (attempt %s): %s",
            notification_id,
            notification.attempts,
            type(exc).__name__,
        )
        return False
    Notification.objects.filter(pk=notification_id).update(
        status=Notification.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def deliver_due_notifications() -> int:
    """Send every notification that is due, and retry stale claims; return how many were sent."""
    now = timezone.now()
    Notification.objects.filter(
        status=Notification.Status.SENDING, next_attempt_at__lte=now - STALE_CLAIM
    ).update(status=Notification.Status.PENDING)
    due = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
    return sum(deliver_notification(pk) for pk in list(due.iterator()))
