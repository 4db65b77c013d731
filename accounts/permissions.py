"""The rights a company user holds. Every right is granted by default."""

from django.db import models


class Permission(models.TextChoices):
    MANAGE_MANIFESTS = "manage_manifests", "Update add-on manifests"
    SUPPORT_TICKETS = "support_tickets", "View and respond to support tickets"
    OAUTH_SECRETS = "oauth_secrets", "View and reset OAuth secrets"
    MARKETING_BILLING = "marketing_billing", "Edit marketing and billing information"
    INSTALL_PLANS = "install_plans", "Install public and hidden plans at list price"
    MANAGE_COMPANY_USERS = "manage_company_users", "Add and remove other company users"


ALL_PERMISSIONS: frozenset[Permission] = frozenset(Permission)

# Bit positions are stored in the database: never reorder, only append.
_BITS = {
    Permission.MANAGE_MANIFESTS: 1 << 0,
    Permission.SUPPORT_TICKETS: 1 << 1,
    Permission.OAUTH_SECRETS: 1 << 2,
    Permission.MARKETING_BILLING: 1 << 3,
    Permission.INSTALL_PLANS: 1 << 4,
    Permission.MANAGE_COMPANY_USERS: 1 << 5,
}


def bit(permission: Permission | str) -> int:
    """Return the bit that stores PERMISSION."""
    return _BITS[Permission(permission)]


def to_mask(permissions) -> int:
    """Return the bitmask of an iterable of permissions."""
    mask = 0
    for permission in permissions:
        mask |= bit(permission)
    return mask


def from_mask(mask: int) -> frozenset[Permission]:
    """Return the permissions set in MASK."""
    return frozenset(p for p, b in _BITS.items() if mask & b)


class Preset(models.TextChoices):
    """Named sets of rights that the Company tab offers when adding or inviting someone."""

    SUPPORT = "support", "Support"
    DEVELOPER = "developer", "Developer"
    BILLING = "billing", "Billing"
    OWNER = "owner", "Owner"


PRESET_RIGHTS: dict[Preset, frozenset[Permission]] = {
    Preset.SUPPORT: frozenset({Permission.SUPPORT_TICKETS}),
    Preset.DEVELOPER: frozenset({Permission.MANAGE_MANIFESTS, Permission.OAUTH_SECRETS}),
    Preset.BILLING: frozenset({Permission.MARKETING_BILLING, Permission.INSTALL_PLANS}),
    Preset.OWNER: ALL_PERMISSIONS,
}
# The Company tab's default: the least that lets a new colleague do something useful. (A company
# user made elsewhere, by a service call without rights, holds every right: DESIGN.md's default.)
DEFAULT_PRESET = Preset.SUPPORT
