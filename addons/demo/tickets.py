"""The demo add-on's support tickets, one in each state, opened and moved through the services."""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import User
from addons.models import Addon, AddonResource, Ticket
from addons.tickets import services as tickets
from addons.tickets.services import TicketSource


@dataclass(frozen=True)
class DemoTicket:
    subject: str
    requester: str
    app: str  # the app whose resource the ticket is about
    body: str
    status: str = Ticket.Status.NEW
    priority: str = Ticket.Priority.NORMAL
    escalate: bool = True
    assign: bool = False  # to the support user
    # (who, text) in order: who is "requester", "reply" (support) or "note" (internal).
    messages: tuple[tuple[str, str], ...] = field(default=())


DEMO_TICKETS = (
    DemoTicket(
        subject="Search results are empty after reindexing",
        requester="casey@brightside.test",
        app="brightside-shop",
        body="Since last night's reindex every query returns nothing. The shop's search is down.",
        priority=Ticket.Priority.URGENT,
    ),
    DemoTicket(
        subject="How do I add synonyms?",
        requester="jordan@northwind.test",
        app="northwind-api",
        body="We want 'sofa' to match 'couch'. Is there a synonyms file?",
        status=Ticket.Status.OPEN,
        priority=Ticket.Priority.HIGH,
        assign=True,
        messages=(
            ("reply", "Yes: upload it on the dashboard under Synonyms. Want an example?"),
            ("requester", "Please, one with multi-word entries."),
            ("note", "They are on the old index format; synonyms need the new one."),
        ),
    ),
    DemoTicket(
        subject="Which plan includes daily backups?",
        requester="robin@brightside.test",
        app="brightside-shop",
        body="Do we need to upgrade for backups?",
        status=Ticket.Status.PENDING,
        messages=(("reply", "Which region is the app in? Backups differ by region."),),
    ),
    DemoTicket(
        subject="Slow queries on staging",
        requester="casey@brightside.test",
        app="brightside-staging",
        body="Queries on staging take two seconds.",
        status=Ticket.Status.SOLVED,
        priority=Ticket.Priority.LOW,
        messages=(("reply", "The test plan runs on shared hardware; production will be fast."),),
    ),
    DemoTicket(
        subject="Remove the old test index",
        requester="alex@northwind.test",
        app="northwind-api",
        body="Please delete the index 'tmp-2025'.",
        status=Ticket.Status.CLOSED,
        escalate=False,
        messages=(("reply", "Deleted."),),
    ),
)


def load_tickets(*, addon: Addon, support: User) -> None:
    """Open each demo ticket ADDON lacks (by subject) and bring it to its state as SUPPORT."""
    for demo in DEMO_TICKETS:
        if addon.tickets.filter(subject=demo.subject).exists():
            continue
        resource = AddonResource.objects.filter(addon=addon, app_name=demo.app).first()
        ticket = tickets.open_ticket(
            addon=addon,
            subject=demo.subject,
            body=demo.body,
            requester_email=demo.requester,
            source=TicketSource.DASHBOARD if demo.escalate else TicketSource.INTAKE,
            resource=resource,
            priority=demo.priority,
            escalate=demo.escalate,
        )
        if demo.assign:
            tickets.assign_ticket(ticket=ticket, assignee=support, actor=support)
        for who, text in demo.messages:
            if who == "requester":
                tickets.reply_as_requester(ticket=ticket, body=text)
            elif who == "note":
                tickets.add_internal_note(ticket=ticket, body=text, actor=support)
            else:
                tickets.reply_to_ticket(ticket=ticket, body=text, actor=support)
        if demo.status != Ticket.Status.NEW:
            tickets.change_ticket_status(ticket=ticket, status=demo.status, actor=support)
