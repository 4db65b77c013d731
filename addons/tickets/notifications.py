"""Who is emailed about a ticket event, and the emails themselves, written to the accounts outbox.

- Company users who hold the support tickets right and have `notify_on_ticket_events` on, for the
  "escalated" event and every event after it; nobody before the ticket is escalated.
- The requester, for a public reply or a status change; never for an internal note.
- Never the person who acted (matched by user and by email).

A company user revoked (or switched off) while their email waits in the outbox, e.g. during a mail
outage, does not get it: `recipient_still_entitled` is the outbox's check for ticket emails.
"""

from dataclasses import dataclass

from django.conf import settings

from accounts.addresses import normalize_email
from accounts.models import CompanyUser, Notification
from accounts.outbox import queue_email
from addons.models import Ticket, TicketEvent
from addons.tickets.selectors import ticket_watchers

TICKET_EVENT_KIND = "ticket_event"
TICKET_REQUESTER_KIND = "ticket_requester"

# The events whose copy goes to the requester. An internal note never does.
REQUESTER_EVENT_KINDS = frozenset({TicketEvent.Kind.PUBLIC_REPLY, TicketEvent.Kind.STATUS_CHANGED})


@dataclass(frozen=True)
class TicketRecipients:
    company_users: list[CompanyUser]
    requester_email: str | None


def ticket_event_recipients(event: TicketEvent) -> TicketRecipients:
    """Return who is emailed about EVENT (the rules are in this module's docstring)."""
    ticket = event.ticket
    actor_emails = {
        normalize_email(e) for e in (event.actor_email, getattr(event.actor, "email", "")) if e
    }
    company_users = []
    if ticket.escalated_at is not None:
        watchers = ticket_watchers(ticket.addon.company_id).select_related("user")
        if event.actor_id is not None:
            watchers = watchers.exclude(user_id=event.actor_id)
        company_users = [
            cu for cu in watchers if normalize_email(cu.user.email) not in actor_emails
        ]
    requester = normalize_email(ticket.requester_email)
    if event.kind not in REQUESTER_EVENT_KINDS or requester in actor_emails:
        requester = None
    return TicketRecipients(company_users=company_users, requester_email=requester)


def notify_ticket_event(*, event: TicketEvent) -> list[Notification]:
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
        "opening_message": _opening_message(event)
        if event.kind == TicketEvent.Kind.ESCALATED
        else "",
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


def recipient_still_entitled(notification: Notification) -> str:
    """Return why a ticket email may no longer go to its recipient, or "" when it may."""
    refusal = "the recipient no longer receives ticket emails of this company"
    if notification.recipient_id is None or notification.company_id is None:
        return refusal
    watching = ticket_watchers(notification.company_id).filter(user=notification.recipient_id)
    return "" if watching.exists() else refusal


def _opening_message(event: TicketEvent) -> str:
    created = (
        event.ticket.events.filter(kind=TicketEvent.Kind.CREATED)
        .order_by("created_at", "pk")
        .first()
    )
    return created.body if created else ""


def _event_summary(event: TicketEvent) -> str:
    match event.kind:
        case TicketEvent.Kind.CREATED:
            return "opened"
        case TicketEvent.Kind.ESCALATED:
            return "escalated to your support queue"
        case TicketEvent.Kind.PUBLIC_REPLY:
            return "new reply"
        case TicketEvent.Kind.INTERNAL_NOTE:
            return "internal note"
        case TicketEvent.Kind.STATUS_CHANGED:
            return f"status changed to {_label(Ticket.Status, event.details.get('to'))}"
        case TicketEvent.Kind.PRIORITY_CHANGED:
            return f"priority changed to {_label(Ticket.Priority, event.details.get('to'))}"
        case TicketEvent.Kind.ASSIGNED:
            return f"assigned to {event.details.get('to') or 'nobody'}"
        case _:
            return event.get_kind_display().lower()


def _label(choices, value) -> str:
    try:
        return str(choices(value).label).lower()
    except ValueError:
        return str(value)
