"""The portal's navigation: which sections a person's rights open to them (templates/base.html).

Every portal page shows the same header: Company, Add-ons, Tickets, and Admin for staff. Only
what the person's rights allow is linked: Add-ons and Company for a company user, Tickets for one
who holds "support tickets" at some company, Admin for staff. The memberships are read once per
page, and only when the header is rendered.
"""

from dataclasses import dataclass

from django.utils.functional import SimpleLazyObject

from accounts.models import CompanyUser
from accounts.permissions import Permission

# The section each page belongs to, by its URL name; a page not listed belongs to none.
SECTIONS = {
    "accounts": "company",
    "addons:company-home": "company",
    "addons:ticket-list": "tickets",
    "addons:ticket-detail": "tickets",
}


@dataclass(frozen=True)
class Navigation:
    """What the header links for one person."""

    memberships: tuple[CompanyUser, ...]
    is_staff: bool
    section: str

    @property
    def companies(self):
        return [membership.company for membership in self.memberships]

    @property
    def has_tickets(self) -> bool:
        """Whether the person handles tickets at some company."""
        return any(m.has_permission(Permission.SUPPORT_TICKETS) for m in self.memberships)


def section_of(view_name: str) -> str:
    """Return the header section that VIEW_NAME (namespace:name) belongs to."""
    if view_name in SECTIONS:
        return SECTIONS[view_name]
    namespace = view_name.partition(":")[0]
    if namespace == "addons" and view_name.partition(":")[2] != "dashboard":
        return "addons"
    return SECTIONS.get(namespace, "")


def _navigation(request) -> Navigation:
    user = request.user
    memberships = ()
    if user.is_authenticated:
        memberships = tuple(
            CompanyUser.objects.filter(user=user)
            .select_related("company")
            .order_by("company__name")
        )
    match = getattr(request, "resolver_match", None)
    return Navigation(
        memberships=memberships,
        is_staff=bool(user.is_authenticated and user.is_staff),
        section=section_of(match.view_name) if match else "",
    )


def portal_navigation(request) -> dict:
    """Context processor: `nav`, what the header links for the person asking."""
    return {"nav": SimpleLazyObject(lambda: _navigation(request))}
