"""Reads about tickets that more than one place needs: who handles a company's tickets."""

from accounts.models import CompanyUser, User
from accounts.permissions import Permission
from addons.models import Ticket


def ticket_handlers(company):
    """Return the company users of COMPANY (instance or id) who hold the support tickets right."""
    return CompanyUser.objects.for_company(company).with_permission(Permission.SUPPORT_TICKETS)


def ticket_watchers(company):
    """Return the ticket handlers of COMPANY who are emailed about its escalated tickets."""
    return ticket_handlers(company).filter(notify_on_ticket_events=True, user__is_active=True)


def assignable_users(company):
    """Return the people a ticket of COMPANY may be assigned to: its ticket handlers."""
    return User.objects.filter(memberships__in=ticket_handlers(company)).order_by("email")


def ticket_memberships(user):
    """Return USER's memberships of the companies whose tickets they handle."""
    return CompanyUser.objects.filter(user=user).with_permission(Permission.SUPPORT_TICKETS)


def requester_tickets(*, resource, email: str):
    """Return the tickets that EMAIL opened about RESOURCE, newest first (the SSO dashboard)."""
    return Ticket.objects.filter(resource=resource, requester_email__iexact=email).order_by(
        "-created_at", "-id"
    )
