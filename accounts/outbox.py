"""Email through an outbox: a `Notification` row is written in the transaction of the change it
reports, and a django-q2 task sends it after commit.

A row is claimed (pending → sending) by a conditional UPDATE before it is sent, so two runs of the
task never send it twice; the claim is a lease that ends at `next_attempt_at`. A failure puts the
row back to pending with a later `next_attempt_at` (exponential backoff) and keeps the error in
`last_error`; after MAX_ATTEMPTS it is marked failed (the admin lists those). The
`deliver_due_notifications` schedule (see `accounts.apps`) picks up whatever is due, so a mail
server that is down when the change happens loses nothing.

Before a row is sent, the check registered for its kind (`register_entitlement_check`) may stop it:
an app that queues mail about something only some people may see (the add-ons app's tickets, say)
says there whether the recipient is still entitled to it when the mail leaves.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils import timezone
from django_q.tasks import async_task

from accounts.addresses import normalize_email
from accounts.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A row left "sending" after its lease belongs to a worker that died mid-send; it is retried. That
# is the one window in which a mail may go out twice: after the server accepted it, before it was
# marked sent.
STALE_CLAIM = timedelta(minutes=15)
# How many rows one sweep sends at most, so that a backlog is worked off within the task timeout.
SWEEP_BATCH = 500

SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length

# kind -> check(notification) returning why the recipient may no longer get it, or "" when they may.
EntitlementCheck = Callable[[Notification], str]
_entitlement_checks: dict[str, EntitlementCheck] = {}


def register_entitlement_check(kind: str, check: EntitlementCheck) -> None:
    """Make the delivery of every KIND notification ask CHECK whether it may still be sent.

    CHECK gets the notification (with `company` and `recipient` loaded) just before it is sent and
    returns why it must not be, or "" to send it. One check per kind; registering again replaces it.
    """
    _entitlement_checks[kind] = check


def backoff(attempts: int) -> timedelta:
    """Return how long to wait before attempt ATTEMPTS + 1: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Return (subject, text, html) rendered from templates/emails/TEMPLATE_{subject,body}.*.

    The subject and text part are rendered without HTML escaping (they are not HTML); the HTML
    part is escaped as usual.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = _render_plain_text(f"emails/{template}_subject.txt", context)
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1] + "…"
    text = _render_plain_text(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    return subject, text, html


def _render_plain_text(name: str, context: dict) -> str:
    template = engines["django"].engine.get_template(name)
    return template.render(Context(context, autoescape=False))


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
                email=normalize_email(email),
                kind=kind,
                dedupe_key=dedupe_key,
                subject=subject,
                body_text=text,
                body_html=html,
            )
    except IntegrityError:
        return None
    # robust: the change has committed by now; a broker that is down must not turn it into an
    # error page. The row stays pending and the periodic sweep sends it.
    transaction.on_commit(lambda: enqueue_delivery(notification.pk), robust=True)
    return notification


def enqueue_delivery(notification_id: int) -> None:
    """Ask the task queue to send one notification."""
    async_task(
        "accounts.outbox.deliver_notification",
        notification_id,
        task_name=f"deliver-notification-{notification_id}",
    )


def deliver_notification(notification_id: int) -> bool:
    """Send one notification if it is due and nobody else holds it; return True when sent."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).update(
        status=Notification.Status.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + STALE_CLAIM,
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("company", "recipient").get(
        pk=notification_id
    )
    check = _entitlement_checks.get(notification.kind)
    refusal = check(notification) if check is not None else ""
    if refusal:
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED, last_error=f"Not sent: {refusal}."
        )
        return False
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email],
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send(using="default")
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
        status=Notification.Status.SENDING, next_attempt_at__lte=now
    ).update(status=Notification.Status.PENDING)
    due = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
    return sum(deliver_notification(pk) for pk in ids)
