"""Invitations of e-mail addresses that have no provider account yet: signed, single-use links."""

import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.addresses import normalize_email
from accounts.exceptions import (
    AlreadyMemberError,
    InvalidInvitationLinkError,
    InvitationError,
    InvitationForAnotherEmailError,
    NotInProviderProgramError,
    UnverifiedEmailError,
)
from accounts.models import AuditEvent, Company, CompanyUser, Invitation, User
from accounts.outbox import queue_email
from accounts.permissions import ALL_PERMISSIONS, Permission
from accounts.services.audit import audit, permission_values

INVITATION_TOKEN_SALT = "accounts.invitation"


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
    event = audit(
        company=company,
        actor=invited_by,
        action=AuditEvent.Action.INVITATION_SENT,
        target=email,
        permissions=permission_values(permissions),
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
    event = audit(
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
    audit(
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
    if not selectors.has_verified_email(user):
        raise UnverifiedEmailError(user.email)
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
    audit(
        company=company,
        actor=user,
        action=AuditEvent.Action.INVITATION_ACCEPTED,
        target=user.email,
        permissions=permission_values(invitation.permissions),
        invitation=invitation.pk,
    )
    return company_user
