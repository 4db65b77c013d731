"""Email through an outbox: a `Notification` row is written in the transaction of the change it
reports, and a django-q2 task sends it after commit.

A row is claimed (pending → sending) by a conditional UPDATE before it is sent, so two runs of the
task never send it twice; the claim is a lease that ends at `next_attempt_at`. A failure puts the
row back to pending with a later `next_attempt_at` (exponential backoff) and keeps the error in
`last_error`; after MAX_ATTEMPTS it is marked failed (the admin lists those). The
`deliver_due_notifications` schedule (see `accounts.tasks.ensure_schedules`) picks up whatever is
due, so a mail server that is down when the change happens loses nothing.

Ticket emails (`notify_ticket_event`) follow the rules in `ticket_event_recipients`.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import Context, engines
from django.template.loader import render_to_string
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import CompanyUser, Notification
from accounts.permissions import Permission

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A row left "sending" after its lease belongs to a worker that died mid-send; it is retried. That
# is the one window in which a mail may go out twice: after the server accepted it, before it was
# marked sent.
STALE_CLAIM = timedelta(minutes=15)
# How many rows one sweep sends at most, so that a backlog is worked off within the task timeout.
SWEEP_BATCH = 500

SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length

TICKET_EVENT_KIND = "ticket_event"
TICKET_REQUESTER_KIND = "ticket_requester"


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
                email=email.strip().lower(),
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
        "accounts.notifications.deliver_notification",
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
    if not _recipient_still_entitled(notification):
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED,
            last_error="Not sent: the recipient no longer receives ticket emails of this company.",
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


def _recipient_still_entitled(notification: Notification) -> bool:
    # A company user revoked (or switched off) while their email waited in the outbox, e.g.
    # during a mail outage, must not receive the ticket's contents afterwards.
    if notification.kind != TICKET_EVENT_KIND:
        return True
    if notification.recipient_id is None or notification.company_id is None:
        return False
    return ticket_watchers(notification.company).filter(user=notification.recipient_id).exists()


# Ticket emails ---------------------------------------------------------------------------------


def ticket_watchers(company):
    """Return the company users of COMPANY who are emailed about its escalated tickets."""
    return (
        CompanyUser.objects.for_company(company)
        .with_permission(Permission.SUPPORT_TICKETS)
        .filter(notify_on_ticket_events=True, user__is_active=True)
    )


@dataclass(frozen=True)
class TicketRecipients:
    company_users: list[CompanyUser]
    requester_email: str | None


# The events whose copy goes to the requester. An internal note never does.
REQUESTER_EVENT_KINDS = frozenset({"public_reply", "status_changed"})


def ticket_event_recipients(event) -> TicketRecipients:
    """Return who is emailed about EVENT (a `addons.models.TicketEvent`).

    - Company users who hold support_tickets and have `notify_on_ticket_events` on, for the
      "escalated" event and every event after it; nobody before the ticket is escalated.
    - The requester, for a public reply or a status change; never for an internal note.
    - Never the person who acted (matched by user and by email).
    """
    ticket = event.ticket
    actor_emails = {e.lower() for e in (event.actor_email, getattr(event.actor, "email", "")) if e}
    company_users = []
    if ticket.escalated_at is not None:
        watchers = ticket_watchers(ticket.addon.company_id).select_related("user")
        if event.actor_id is not None:
            watchers = watchers.exclude(user_id=event.actor_id)
        company_users = [cu for cu in watchers if cu.user.email.lower() not in actor_emails]
    requester = ticket.requester_email.lower()
    if event.kind not in REQUESTER_EVENT_KINDS or requester in actor_emails:
        requester = None
    return TicketRecipients(company_users=company_users, requester_email=requester)


def notify_ticket_event(*, event) -> list[Notification]:
    """Write the emails about ticket EVENT to the outbox, one per recipient, in this transaction."""
    recipients = ticket_event_recipients(event)
    ticket = event.ticket
    addon = ticket.addon
    context = {
        "ticket": ticket,
        "event": event,
        "addon": addon,
        "summary": _event_summary(event),
        "ticket_url": settings.SITE_URL + ticket.get_absolute_url(),
        # Whoever learns of a ticket through its escalation needs to read what it is about.
        "opening_message": _opening_message(event) if event.kind == "escalated" else "",
    }
    dedupe_key = f"ticket-event:{event.pk}"
    queued = []
    # Company users first: one who is also the requester gets the company user's copy.
    for company_user in recipients.company_users:
        queued.append(
            queue_email(
                email=company_user.user.email,
                template="ticket_event",
                context={**context, "recipient": company_user.user},
                kind=TICKET_EVENT_KIND,
                dedupe_key=dedupe_key,
                company=addon.company,
                recipient=company_user.user,
            )
        )
    if recipients.requester_email:
        queued.append(
            queue_email(
                email=recipients.requester_email,
                template="ticket_requester",
                context=context,
                kind=TICKET_REQUESTER_KIND,
                dedupe_key=dedupe_key,
                company=addon.company,
            )
        )
    return [n for n in queued if n is not None]


def _opening_message(event) -> str:
    created = event.ticket.events.filter(kind="created").order_by("created_at", "pk").first()
    return created.body if created else ""


def _event_summary(event) -> str:
    match event.kind:
        case "created":
            return "opened"
        case "escalated":
            return "escalated to your support queue"
        case "public_reply":
            return "new reply"
        case "internal_note":
            return "internal note"
        case "status_changed":
            return f"status changed to {_label(event.ticket.Status, event.details.get('to'))}"
        case "priority_changed":
            return f"priority changed to {_label(event.ticket.Priority, event.details.get('to'))}"
        case "assigned":
            return f"assigned to {event.details.get('to') or 'nobody'}"
        case _:
            return event.get_kind_display().lower()


def _label(choices, value) -> str:
    try:
        return str(choices(value).label).lower()
    except ValueError:
        return str(value)
