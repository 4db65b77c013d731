"""The audit trail's one writer, shared by the accounts services."""

from collections.abc import Iterable

from accounts.models import AuditEvent, Company, User
from accounts.permissions import Permission


def permission_values(permissions: Iterable[Permission]) -> list[str]:
    """Return PERMISSIONS as sorted values, as audit entries record them."""
    return sorted(Permission(p).value for p in permissions)


def audit(
    *, company: Company, actor: User | None, action: str, target: str = "", **details
) -> AuditEvent:
    """Record that ACTOR did ACTION at COMPANY (to TARGET, an email or a name), with DETAILS."""
    return AuditEvent.objects.create(
        company=company, actor=actor, action=action, target=target, details=details
    )
