"""Support tickets: every way a ticket is opened or changed goes through these services.

The SSO dashboard, the Django admin, the intake API and the portal's ticket pages are thin callers.
Each change appends a `TicketEvent` and, in the same transaction, writes the emails it causes to the
outbox (`addons.tickets.notifications.notify_ticket_event`), so a change and its emails commit
together.
"""

import secrets
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.addresses import normalize_email, validate_email_address
from addons.models import Addon, AddonResource, Ticket, TicketEvent
from addons.tickets.exceptions import (
    AlreadyEscalatedError,
    EmptyMessageError,
    NothingChangedError,
    ResourceNotOfAddonError,
    TicketAssigneeError,
    TicketClosedError,
)
from addons.tickets.notifications import notify_ticket_event
from addons.tickets.selectors import ticket_handlers
from portal.text import validate_one_line, validate_storable


class TicketSource(StrEnum):
    """Where a ticket came from; kept in the "created" event's details."""

    DASHBOARD = "dashboard"
    ADMIN = "admin"
    INTAKE = "intake"


@transaction.atomic
def open_ticket(
    *,
    addon: Addon,
    subject: str,
    body: str,
    requester_email: str,
    source: TicketSource | str,
    resource: AddonResource | None = None,
    priority: str = Ticket.Priority.NORMAL,
    escalate: bool = False,
    actor=None,
) -> Ticket:
    """Open a ticket on ADDON (optionally about RESOURCE) and, if ESCALATE, escalate it at once.

    ACTOR is the portal or admin user who opened it, None for a dashboard user or a machine (the
    requester is then the actor). Raises `django.core.exceptions.ValidationError` for a bad field
    (the subject is one line of text, the body storable, the requester's address free of
    invisible characters: `portal.text`, `accounts.addresses`) and `ResourceNotOfAddonError` when
    RESOURCE belongs to another add-on.

    A ticket opened with ESCALATE emails the company users once, for the "escalated" event: the
    "created" event of a ticket that is not yet escalated emails nobody.
    """
    if resource is not None and resource.addon_id != addon.pk:
        raise ResourceNotOfAddonError()
    if not body or not body.strip():
        raise EmptyMessageError()
    _check_text(subject=subject, body=body, requester_email=requester_email)
    ticket = Ticket(
        addon=addon,
        resource=resource,
        subject=" ".join(subject.split()),
        requester_email=normalize_email(requester_email),
        priority=priority,
    )
    ticket.full_clean()
    ticket.save()
    _record_event(
        ticket=ticket,
        kind=TicketEvent.Kind.CREATED,
        actor=actor,
        actor_email=actor.email if actor else ticket.requester_email,
        body=body,
        details={"source": str(TicketSource(source))},
    )
    if escalate:
        escalate_ticket(ticket=ticket, actor=actor)
    return ticket


def _check_text(*, subject: str, body: str, requester_email: str) -> None:
    """Raise one ValidationError, keyed by field, for every field that breaks a character rule."""
    checks = {
        "subject": (validate_one_line, subject),
        "body": (validate_storable, body),
        "requester_email": (validate_email_address, requester_email),
    }
    errors = {}
    for field, (validate, value) in checks.items():
        try:
            validate(value)
        except ValidationError as refusal:
            errors[field] = refusal.error_list
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def escalate_ticket(*, ticket: Ticket, actor=None) -> TicketEvent:
    """Put TICKET in its add-on's support queue; from now on its company users are emailed."""
    ticket = _lock(ticket)
    if ticket.is_escalated:
        raise AlreadyEscalatedError()
    _refuse_if_closed(ticket)
    ticket.escalated_at = timezone.now()
    ticket.save(update_fields=["escalated_at", "updated_at"])
    return _record_event(ticket=ticket, kind=TicketEvent.Kind.ESCALATED, actor=actor)


@transaction.atomic
def reply_to_ticket(*, ticket: Ticket, body: str, actor) -> TicketEvent:
    """Add a public reply by ACTOR to TICKET; the requester is emailed a copy."""
    return _add_message(ticket=ticket, body=body, actor=actor, kind=TicketEvent.Kind.PUBLIC_REPLY)


@transaction.atomic
def reply_as_requester(*, ticket: Ticket, body: str) -> TicketEvent:
    """Add a follow-up by TICKET's requester (e.g. from the SSO dashboard); not emailed back."""
    return _add_message(
        ticket=ticket,
        body=body,
        actor=None,
        actor_email=ticket.requester_email,
        kind=TicketEvent.Kind.PUBLIC_REPLY,
    )


@transaction.atomic
def add_internal_note(*, ticket: Ticket, body: str, actor) -> TicketEvent:
    """Add a note by ACTOR to TICKET that only company users see; never sent to the requester."""
    return _add_message(ticket=ticket, body=body, actor=actor, kind=TicketEvent.Kind.INTERNAL_NOTE)


def _change_field(*, ticket: Ticket, field: str, value, kind: str, actor, unchanged: str):
    ticket = _lock(ticket)
    _refuse_if_closed(ticket)
    old = getattr(ticket, field)
    if value == old:
        raise NothingChangedError(unchanged.format(value.label.lower()))
    setattr(ticket, field, value)
    ticket.save(update_fields=[field, "updated_at"])
    return _record_event(
        ticket=ticket, kind=kind, actor=actor, details={"from": old, "to": value.value}
    )


@transaction.atomic
def change_ticket_status(*, ticket: Ticket, status: str, actor) -> TicketEvent:
    """Set TICKET's status to STATUS; the requester is told."""
    return _change_field(
        ticket=ticket,
        field="status",
        value=Ticket.Status(status),
        kind=TicketEvent.Kind.STATUS_CHANGED,
        actor=actor,
        unchanged="The ticket is already {}.",
    )


@transaction.atomic
def change_ticket_priority(*, ticket: Ticket, priority: str, actor) -> TicketEvent:
    """Set TICKET's priority to PRIORITY."""
    return _change_field(
        ticket=ticket,
        field="priority",
        value=Ticket.Priority(priority),
        kind=TicketEvent.Kind.PRIORITY_CHANGED,
        actor=actor,
        unchanged="The priority is already {}.",
    )


@transaction.atomic
def assign_ticket(*, ticket: Ticket, assignee, actor) -> TicketEvent:
    """Give TICKET to ASSIGNEE, a user of its company who handles tickets, or to nobody (None)."""
    ticket = _lock(ticket)
    _refuse_if_closed(ticket)
    if (
        assignee is not None
        and not ticket_handlers(ticket.addon.company_id).filter(user=assignee).exists()
    ):
        raise TicketAssigneeError(assignee.email)
    if (assignee.pk if assignee else None) == ticket.assignee_id:
        raise NothingChangedError("The ticket already has that assignee.")
    old = ticket.assignee.email if ticket.assignee else None
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    return _record_event(
        ticket=ticket,
        kind=TicketEvent.Kind.ASSIGNED,
        actor=actor,
        details={"from": old, "to": assignee.email if assignee else None},
    )


@transaction.atomic
def update_ticket(
    *, ticket: Ticket, status: str, priority: str, assignee, actor
) -> list[TicketEvent]:
    """Set TICKET's status, priority and assignee at once; one event (and e-mail) per change."""
    current = _lock(ticket)
    _refuse_if_closed(current)
    events = []
    # The status goes last: a ticket closed by this change takes no other change after it.
    if priority != current.priority:
        events.append(change_ticket_priority(ticket=current, priority=priority, actor=actor))
    if (assignee.pk if assignee else None) != current.assignee_id:
        events.append(assign_ticket(ticket=current, assignee=assignee, actor=actor))
    if status != current.status:
        events.append(change_ticket_status(ticket=current, status=status, actor=actor))
    if not events:
        raise NothingChangedError("Nothing changed: the status, priority and assignee are as set.")
    return events


@transaction.atomic
def rotate_intake_token(*, addon: Addon) -> str:
    """Give ADDON a new intake API token and return it; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    addon.set_intake_token(token)
    addon.save(update_fields=["intake_token_hash", "updated_at"])
    return token


def _add_message(
    *, ticket: Ticket, body: str, actor, kind: TicketEvent.Kind, actor_email: str = ""
) -> TicketEvent:
    if not body or not body.strip():
        raise EmptyMessageError()
    ticket = _lock(ticket)
    _refuse_if_closed(ticket)
    ticket.save(update_fields=["updated_at"])
    return _record_event(
        ticket=ticket, kind=kind, actor=actor, actor_email=actor_email, body=body.strip()
    )


def _lock(ticket: Ticket) -> Ticket:
    # Two people changing one ticket at once must not both read the old status.
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("addon", "resource")
        .get(pk=ticket.pk)
    )


def _refuse_if_closed(ticket: Ticket) -> None:
    if ticket.status == Ticket.Status.CLOSED:
        raise TicketClosedError()


def _record_event(
    *,
    ticket: Ticket,
    kind: TicketEvent.Kind,
    actor=None,
    actor_email: str = "",
    body: str = "",
    details: dict | None = None,
) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket,
        kind=kind,
        actor=actor,
        actor_email=actor_email or (actor.email if actor else ""),
        body=body,
        details=details or {},
    )
    event.full_clean()
    event.save()
    notify_ticket_event(event=event)
    return event
