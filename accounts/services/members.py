"""Company users: adding them, their rights and ticket e-mails, and revoking them.

Who may do what is `accounts.services.authority`'s: each service here takes the `actor` (a company
user in the portal, or an operator in the admin) and checks it on rows it has locked.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.exceptions import AlreadyMemberError, LastManagerError, NotAMemberError
from accounts.models import AuditEvent, Company, CompanyUser, User
from accounts.outbox import queue_email
from accounts.permissions import ALL_PERMISSIONS, Permission
from accounts.services.audit import audit, permission_values
from accounts.services.authority import (
    Actor,
    ensure_may_grant,
    ensure_may_revoke,
    ensure_may_set_rights,
)
from accounts.services.companies import find_provider


def _lock_for_change(company_user: CompanyUser) -> tuple[CompanyUser, list[int]]:
    """Lock the company's managers, then COMPANY_USER; return its fresh row and the managers' ids.

    Locking every manager row serialises concurrent edits and revocations of managers, so two of
    them cannot each remove "the other" last manager. The managers are always locked first and in
    id order, so two such changes never wait on each other in a cycle.
    """
    manager_ids = list(
        CompanyUser.objects.filter(company_id=company_user.company_id)
        .managers()
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    locked = (
        CompanyUser.objects.select_for_update(of=("self",))
        .select_related("company", "user")
        .filter(pk=company_user.pk)
        .first()
    )
    if locked is None:
        raise NotAMemberError("That person is no longer a user of this company.")
    return locked, manager_ids


def last_manager_error(company_user: CompanyUser) -> LastManagerError:
    """Return the refusal of removing COMPANY_USER, the last who can manage company users."""
    return LastManagerError(
        f"{company_user.user.email} is the last user of {company_user.company} who can "
        "manage company users. Give that right to someone else first."
    )


def is_last_manager(company_user: CompanyUser) -> bool:
    """Return whether COMPANY_USER is the only user of their company who manages users."""
    managers = CompanyUser.objects.for_company(company_user.company_id).managers()
    return list(managers.values_list("pk", flat=True)[:2]) == [company_user.pk]


def _ensure_another_manager_remains(company_user: CompanyUser, manager_ids: list[int]) -> None:
    if manager_ids == [company_user.pk]:
        raise last_manager_error(company_user)


@transaction.atomic
def add_company_user(
    *,
    company: Company,
    email: str,
    actor: Actor,
    permissions: Iterable[Permission] = ALL_PERMISSIONS,
) -> CompanyUser:
    """Make the provider with EMAIL a user of COMPANY holding PERMISSIONS, and email them.

    A company user ACTOR must hold "manage company users" and every one of PERMISSIONS; an
    operator ACTOR needs `accounts.add_companyuser`. Nobody adds themselves.
    """
    permissions = frozenset(Permission(p) for p in permissions)
    ensure_may_grant(actor, company=company, email=email, permissions=permissions)
    added_by = actor.user
    user = find_provider(email)
    if CompanyUser.objects.for_company(company).filter(user=user).exists():
        raise AlreadyMemberError(f"{user.email} is already a user of {company}.")
    company_user = CompanyUser(
        company=company, user=user, permissions=permissions, added_by=added_by
    )
    try:
        with transaction.atomic():
            company_user.save()
    except IntegrityError:  # added by someone else a moment ago
        raise AlreadyMemberError(f"{user.email} is already a user of {company}.") from None
    event = audit(
        company=company,
        actor=added_by,
        action=AuditEvent.Action.USER_ADDED,
        target=user.email,
        permissions=permission_values(permissions),
    )
    queue_email(
        email=user.email,
        template="company_user_added",
        context={
            "company": company,
            "added_by": added_by,
            "permissions": sorted(permissions),
            "company_url": settings.SITE_URL + company.get_absolute_url(),
        },
        kind="company_user_added",
        dedupe_key=f"audit-event:{event.pk}",
        company=company,
        recipient=user,
    )
    return company_user


@transaction.atomic
def set_company_user_permissions(
    *, company_user: CompanyUser, permissions: Iterable[Permission], actor: Actor
) -> CompanyUser:
    """Replace COMPANY_USER's permissions; a company always keeps one user manager.

    Anyone may remove rights from their own membership, never add any. On another's, a company
    user ACTOR needs "manage company users" and may add only rights they hold; an operator ACTOR
    needs `accounts.change_companyuser`.
    """
    permissions = frozenset(Permission(p) for p in permissions)
    company_user, manager_ids = _lock_for_change(company_user)
    ensure_may_set_rights(actor, company_user=company_user, permissions=permissions)
    before = company_user.permissions
    if before == permissions:
        return company_user
    if (
        Permission.MANAGE_COMPANY_USERS in before
        and Permission.MANAGE_COMPANY_USERS not in permissions
    ):
        _ensure_another_manager_remains(company_user, manager_ids)
    company_user.permissions = permissions
    company_user.save(update_fields=["permissions"])
    audit(
        company=company_user.company,
        actor=actor.user,
        action=AuditEvent.Action.PERMISSIONS_CHANGED,
        target=company_user.user.email,
        before=permission_values(before),
        after=permission_values(permissions),
    )
    return company_user


@transaction.atomic
def revoke_company_user(*, company_user: CompanyUser, actor: Actor) -> None:
    """Remove COMPANY_USER from their company; add-on resources they installed stay provisioned.

    Anyone may leave (revoke their own membership). Another's needs "manage company users" of a
    company user ACTOR, `accounts.delete_companyuser` of an operator ACTOR.
    """
    company_user, manager_ids = _lock_for_change(company_user)
    ensure_may_revoke(actor, company_user=company_user)
    if company_user.has_permission(Permission.MANAGE_COMPANY_USERS):
        _ensure_another_manager_remains(company_user, manager_ids)
    company, user = company_user.company, company_user.user
    permissions = company_user.permissions
    # Only the membership row goes: resources the person installed belong to the company's
    # customers and are never de-provisioned by a revocation.
    company_user.delete()
    event = audit(
        company=company,
        actor=actor.user,
        action=AuditEvent.Action.USER_REVOKED,
        target=user.email,
        permissions=permission_values(permissions),
    )
    queue_email(
        email=user.email,
        template="company_user_revoked",
        context={"company": company},
        kind="company_user_revoked",
        dedupe_key=f"audit-event:{event.pk}",
        company=company,
        recipient=user,
    )


@transaction.atomic
def set_ticket_notifications(
    *, company_user: CompanyUser, enabled: bool, actor: User | None
) -> CompanyUser:
    """Turn COMPANY_USER's ticket-event emails on or off."""
    company_user = (
        CompanyUser.objects.select_for_update(of=("self",))
        .select_related("company", "user")
        .get(pk=company_user.pk)
    )
    if company_user.notify_on_ticket_events == enabled:
        return company_user
    company_user.notify_on_ticket_events = enabled
    company_user.save(update_fields=["notify_on_ticket_events"])
    audit(
        company=company_user.company,
        actor=actor,
        action=AuditEvent.Action.NOTIFICATIONS_CHANGED,
        target=company_user.user.email,
        notify_on_ticket_events=enabled,
    )
    return company_user
