"""What a company's home page shows: its add-ons' health, the open tickets to pick up, its users.

Each read is one query, whatever the number of add-ons, resources or tickets, so that the home
page costs the same for a company with one resource and one with ten thousand.
"""

from django.db.models import Count, Q

from accounts.models import Company, CompanyUser
from addons.models import Addon, AddonResource, Ticket

OPEN_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING)
TICKETS_SHOWN = 10

_live = Q(resources__state=AddonResource.State.PROVISIONED)
_unhealthy = (
    AddonResource.SyncStatus.FAILED,
    AddonResource.SyncStatus.REFUSED,
    AddonResource.SyncStatus.PAUSED,
)


def addon_health(company: Company):
    """Return COMPANY's add-ons, each with its resource counts, sync health and grant errors."""
    return (
        Addon.objects.filter(company=company)
        .annotate(
            provisioned=Count("resources", filter=_live),
            sync_ok=Count("resources", filter=_live & Q(resources__sync_status="ok")),
            sync_unhealthy=Count(
                "resources", filter=_live & Q(resources__sync_status__in=_unhealthy)
            ),
            sync_never=Count("resources", filter=_live & Q(resources__sync_status="never")),
            grant_errors=Count("resources", filter=~Q(resources__grant_error="")),
        )
        .order_by("name")
    )


def open_tickets(company: Company):
    """Return COMPANY's tickets that still need someone: new, open or pending."""
    return (
        Ticket.objects.filter(addon__company=company, status__in=OPEN_STATUSES)
        .select_related("addon")
        .order_by("-updated_at", "-id")
    )


def company_users(company: Company):
    """Return COMPANY's users, by e-mail address."""
    return (
        CompanyUser.objects.filter(company=company).select_related("user").order_by("user__email")
    )
