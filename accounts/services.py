"""Every write to companies, their users and invitations. Views, the admin and commands call these.

Each service runs in one transaction, writes an `AuditEvent` and queues its emails in the outbox, so
a failed change leaves no row behind and sends no mail.
"""

import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.urls import reverse
from django.utils import timezone

from accounts.addresses import normalize_email
from accounts.exceptions import (
    AlreadyMemberError,
    CompanyInUseError,
    InvalidInvitationLinkError,
    InvitationError,
    InvitationForAnotherEmailError,
    LastManagerError,
    NoProviderAccountError,
    NotAMemberError,
    NotInProviderProgramError,
)
from accounts.models import AuditEvent, Company, CompanyUser, Invitation, User
from accounts.outbox import queue_email
from accounts.permissions import ALL_PERMISSIONS, Permission

INVITATION_TOKEN_SALT = "accounts.invitation"

logger = logging.getLogger(__name__)


def _sorted_values(permissions: Iterable[Permission]) -> list[str]:
    return sorted(Permission(p).value for p in permissions)


def _audit(*, company: Company, actor: User | None, action: str, target: str = "", **details):
    return AuditEvent.objects.create(
        company=company, actor=actor, action=action, target=target, details=details
    )


def find_provider(email: str) -> User:
    """Return the person with EMAIL who joined the Provider Program, or NoProviderAccountError."""
    user = User.objects.filter(email__iexact=normalize_email(email)).first()
    if user is None or not user.has_joined_provider_program:
        raise NoProviderAccountError(email.strip())
    return user


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


def _ensure_another_manager_remains(company_user: CompanyUser, manager_ids: list[int]) -> None:
    if manager_ids == [company_user.pk]:
        raise LastManagerError(
            f"{company_user.user.email} is the last user of {company_user.company} who can "
            "manage company users. Give that right to someone else first."
        )


def join_provider_program(*, user: User) -> User:
    """Record that USER joined the provider program (once; joining again changes nothing)."""
    if user.joined_provider_program_at is None:
        user.joined_provider_program_at = timezone.now()
        user.save(update_fields=["joined_provider_program_at"])
    return user


def _save_company(company: Company, **kwargs) -> None:
    """Save COMPANY, validated; a slug taken a moment ago by someone else is a ValidationError."""
    company.full_clean()
    try:
        with transaction.atomic():
            company.save(**kwargs)
    except IntegrityError:
        raise ValidationError({"slug": "That slug is taken; choose another."}) from None


@transaction.atomic
def create_company(
    *, name: str, slug: str, created_by: User, first_manager: User | None = None
) -> Company:
    """Create a company whose first user, FIRST_MANAGER or else CREATED_BY, holds every right.

    An operator creating a company in the admin names its FIRST_MANAGER, a person who has joined the
    Provider Program; a provider creating their own company is its first manager.
    """
    first_manager = first_manager or created_by
    if not first_manager.has_joined_provider_program:
        if first_manager == created_by:
            raise NotInProviderProgramError("Join the Provider Program before creating a company.")
        raise NoProviderAccountError(first_manager.email)
    company = Company(name=name.strip(), slug=slug)
    _save_company(company)
    CompanyUser.objects.create(
        company=company, user=first_manager, permissions=ALL_PERMISSIONS, added_by=created_by
    )
    _audit(
        company=company,
        actor=created_by,
        action=AuditEvent.Action.COMPANY_CREATED,
        target=first_manager.email,
        name=company.name,
        slug=company.slug,
    )
    return company


@transaction.atomic
def rename_company(*, company: Company, name: str, slug: str, actor: User | None) -> Company:
    """Give COMPANY a new NAME and SLUG (the slug is in the Company tab's links)."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = {"name": company.name, "slug": company.slug}
    after = {"name": name.strip(), "slug": slug}
    if after == before:
        return company
    company.name, company.slug = after["name"], after["slug"]
    _save_company(company, update_fields=["name", "slug"])
    _audit(
        company=company,
        actor=actor,
        action=AuditEvent.Action.COMPANY_RENAMED,
        target=company.name,
        before=before,
        after=after,
    )
    return company


@transaction.atomic
def delete_company(*, company: Company, actor: User | None) -> None:
    """Delete COMPANY with its company users, invitations and audit trail.

    Raise CompanyInUseError, deleting nothing, while rows of another app protect the company (such
    as an add-on's resources, which are kept as history).

    The company's `AuditEvent` rows are deleted with it (CASCADE), so the record of its deletion
    cannot be one of them. It is kept where it outlives the company: an INFO line on this module's
    logger once the deletion commits (which company, who deleted it, what went with it), and, in
    the admin, where operators delete companies, the `LogEntry` the admin writes before calling
    this (its "Recent actions" and history).
    """
    company = Company.objects.select_for_update().get(pk=company.pk)
    went_with_it = {
        "company users": company.members.count(),
        "invitations": company.invitations.count(),
        "audit events": company.audit_events.count(),
    }
    record = "Company {!r} (slug {}, id {}) deleted by {}, with {}".format(
        company.name,
        company.slug,
        company.pk,
        actor.email if actor else "the system",
        ", ".join(f"{count} {name}" for name, count in went_with_it.items()),
    )
    try:
        with transaction.atomic():
            company.delete()
    except ProtectedError as exc:
        raise CompanyInUseError(company, exc.protected_objects) from None
    except RestrictedError as exc:
        raise CompanyInUseError(company, exc.restricted_objects) from None
    transaction.on_commit(lambda: logger.info(record))


@transaction.atomic
def add_company_user(
    *,
    company: Company,
    email: str,
    added_by: User | None,
    permissions: Iterable[Permission] = ALL_PERMISSIONS,
) -> CompanyUser:
    """Make the provider with EMAIL a user of COMPANY holding PERMISSIONS, and email them."""
    permissions = frozenset(Permission(p) for p in permissions)
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
    event = _audit(
        company=company,
        actor=added_by,
        action=AuditEvent.Action.USER_ADDED,
        target=user.email,
        permissions=_sorted_values(permissions),
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


def make_invitation_token(invitation: Invitation) -> str:
    """Return the signed token for INVITATION's current key."""
    # No timestamp in the token: expiry lives on the row, and the same key gives the same link.
    signer = signing.Signer(salt=INVITATION_TOKEN_SALT)
    return signer.sign_object({"id": invitation.pk, "key": invitation.key})


def invitation_url(invitation: Invitation) -> str:
    """Return the absolute acceptance link for INVITATION."""
    token = make_invitation_token(invitation)
    return settings.SITE_URL + reverse("accounts:invitation-accept", args=[token])


def get_invitation_for_token(token: str, *, for_update: bool = False) -> Invitation:
    """Return the open invitation TOKEN names; raise InvitationError when it cannot be used."""
    try:
        payload = signing.Signer(salt=INVITATION_TOKEN_SALT).unsign_object(token)
        invitation_id, key = int(payload["id"]), str(payload["key"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidInvitationLinkError("This invitation link is not valid.") from None
    invitations = Invitation.objects.select_related("company", "invited_by")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise InvalidInvitationLinkError("This invitation link is not valid.")
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        raise InvitationError("This invitation has already been accepted.")
    if state == Invitation.State.CANCELLED:
        raise InvitationError("This invitation was cancelled.")
    if not secrets.compare_digest(invitation.key, key):
        raise InvitationError(
            "This invitation link was replaced by a newer one. Use the latest invitation email."
        )
    if state == Invitation.State.EXPIRED:
        raise InvitationError("This invitation has expired. Ask the company to send you a new one.")
    return invitation


def _renew(invitation: Invitation) -> None:
    invitation.key = secrets.token_urlsafe(32)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def _send_invitation_email(invitation: Invitation, event: AuditEvent) -> None:
    queue_email(
        email=invitation.email,
        template="invitation",
        context={
            "invitation": invitation,
            "company": invitation.company,
            "invited_by": invitation.invited_by,
            "permissions": sorted(invitation.permissions),
            "accept_url": invitation_url(invitation),
        },
        kind="invitation",
        dedupe_key=f"audit-event:{event.pk}",
        company=invitation.company,
    )


@transaction.atomic
def invite_company_user(
    *,
    company: Company,
    email: str,
    invited_by: User | None,
    permissions: Iterable[Permission] = ALL_PERMISSIONS,
) -> Invitation:
    """Invite EMAIL to become a user of COMPANY holding PERMISSIONS, and email the link."""
    email = normalize_email(email)
    permissions = frozenset(Permission(p) for p in permissions)
    if CompanyUser.objects.for_company(company).filter(user__email__iexact=email).exists():
        raise AlreadyMemberError(f"{email} is already a user of {company}.")
    unanswered = Invitation.objects.filter(company=company, email__iexact=email).unanswered()
    if unanswered.pending().exists():
        raise InvitationError(
            f"{email} already has an open invitation to {company}. Resend it instead."
        )
    # An expired invitation still holds the "one open invitation" slot: close it.
    unanswered.update(cancelled_at=timezone.now())
    invitation = Invitation(
        company=company, email=email, permissions=permissions, invited_by=invited_by
    )
    _renew(invitation)
    invitation.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:  # invited by someone else a moment ago
        raise InvitationError(f"{email} already has an open invitation to {company}.") from None
    event = _audit(
        company=company,
        actor=invited_by,
        action=AuditEvent.Action.INVITATION_SENT,
        target=email,
        permissions=_sorted_values(permissions),
        invitation=invitation.pk,
    )
    _send_invitation_email(invitation, event)
    return invitation


def _lock_invitation(invitation: Invitation) -> Invitation:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("company")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def resend_invitation(*, invitation: Invitation, actor: User | None) -> Invitation:
    """Email INVITATION again with a new link and expiry; earlier links stop working."""
    invitation = _lock_invitation(invitation)
    if invitation.state not in (Invitation.State.PENDING, Invitation.State.EXPIRED):
        raise InvitationError("Only an open invitation can be resent.")
    _renew(invitation)
    invitation.save(update_fields=["key", "expires_at"])
    event = _audit(
        company=invitation.company,
        actor=actor,
        action=AuditEvent.Action.INVITATION_RESENT,
        target=invitation.email,
        invitation=invitation.pk,
    )
    _send_invitation_email(invitation, event)
    return invitation


@transaction.atomic
def cancel_invitation(*, invitation: Invitation, actor: User | None) -> Invitation:
    """Cancel INVITATION so that its link no longer works."""
    invitation = _lock_invitation(invitation)
    if invitation.state not in (Invitation.State.PENDING, Invitation.State.EXPIRED):
        raise InvitationError("Only an open invitation can be cancelled.")
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    _audit(
        company=invitation.company,
        actor=actor,
        action=AuditEvent.Action.INVITATION_CANCELLED,
        target=invitation.email,
        invitation=invitation.pk,
    )
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user: User) -> CompanyUser:
    """Make USER a company user with the rights of the invitation TOKEN names; use it up."""
    invitation = get_invitation_for_token(token, for_update=True)
    if not user.has_joined_provider_program:
        raise NotInProviderProgramError(
            "Join the Provider Program before accepting this invitation."
        )
    if normalize_email(user.email) != normalize_email(invitation.email):
        raise InvitationForAnotherEmailError(
            f"This invitation is for {invitation.email}, but you are logged in as {user.email}."
        )
    company = invitation.company
    if CompanyUser.objects.for_company(company).filter(user=user).exists():
        raise AlreadyMemberError(f"You are already a user of {company}.")
    company_user = CompanyUser.objects.create(
        company=company,
        user=user,
        permissions=invitation.permissions,
        added_by=invitation.invited_by,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _audit(
        company=company,
        actor=user,
        action=AuditEvent.Action.INVITATION_ACCEPTED,
        target=user.email,
        permissions=_sorted_values(invitation.permissions),
        invitation=invitation.pk,
    )
    return company_user


@transaction.atomic
def set_company_user_permissions(
    *, company_user: CompanyUser, permissions: Iterable[Permission], actor: User | None
) -> CompanyUser:
    """Replace COMPANY_USER's permissions; a company always keeps one user manager."""
    permissions = frozenset(Permission(p) for p in permissions)
    company_user, manager_ids = _lock_for_change(company_user)
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
    _audit(
        company=company_user.company,
        actor=actor,
        action=AuditEvent.Action.PERMISSIONS_CHANGED,
        target=company_user.user.email,
        before=_sorted_values(before),
        after=_sorted_values(permissions),
    )
    return company_user


@transaction.atomic
def revoke_company_user(*, company_user: CompanyUser, actor: User | None) -> None:
    """Remove COMPANY_USER from their company; add-on resources they installed stay provisioned."""
    company_user, manager_ids = _lock_for_change(company_user)
    if company_user.has_permission(Permission.MANAGE_COMPANY_USERS):
        _ensure_another_manager_remains(company_user, manager_ids)
    company, user = company_user.company, company_user.user
    permissions = company_user.permissions
    # Only the membership row goes: resources the person installed belong to the company's
    # customers and are never de-provisioned by a revocation.
    company_user.delete()
    event = _audit(
        company=company,
        actor=actor,
        action=AuditEvent.Action.USER_REVOKED,
        target=user.email,
        permissions=_sorted_values(permissions),
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
    _audit(
        company=company_user.company,
        actor=actor,
        action=AuditEvent.Action.NOTIFICATIONS_CHANGED,
        target=company_user.user.email,
        notify_on_ticket_events=enabled,
    )
    return company_user
