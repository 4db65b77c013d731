"""Invitations of e-mail addresses that have no provider account yet: signed, single-use links.

An invitation is only as good as its sender: it is accepted only while the sender could still send
it (`authority.ensure_sender_may_grant`), so one sent by a company user who was revoked, or whose
rights were lowered since, is refused, and the invitee is told to ask for a new one.
"""

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
    OwnRightsError,
    SenderCannotGrantError,
    UnverifiedEmailError,
)
from accounts.models import AuditEvent, Company, CompanyUser, Invitation, User
from accounts.outbox import queue_email
from accounts.permissions import ALL_PERMISSIONS, Permission
from accounts.services.audit import audit, permission_values
from accounts.services.authority import (
    Actor,
    ensure_may_change_invitations,
    ensure_may_grant,
    ensure_sender_may_grant,
    sent_as,
)

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
    ensure_sender_may_grant(invitation, lock=for_update)
    return invitation


MAX_VALID_FOR = timedelta(days=30)


def _renew(invitation: Invitation, valid_for: timedelta | None = None) -> None:
    invitation.key = secrets.token_urlsafe(32)
    valid_for = valid_for or timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    invitation.expires_at = timezone.now() + valid_for


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
    actor: Actor,
    permissions: Iterable[Permission] = ALL_PERMISSIONS,
    valid_for: timedelta | None = None,
) -> Invitation:
    """Invite EMAIL to become a user of COMPANY holding PERMISSIONS, and email the link.

    The link works for VALID_FOR (default: INVITATION_MAX_AGE_DAYS), at most MAX_VALID_FOR.

    The rule is adding's (`add_company_user`): a company user ACTOR must hold "manage company
    users" and every one of PERMISSIONS, an operator ACTOR `accounts.add_companyuser`; nobody
    invites themselves. The invitation records ACTOR and their capacity, which acceptance
    re-checks.
    """
    email = normalize_email(email)
    permissions = frozenset(Permission(p) for p in permissions)
    if valid_for is not None and not timedelta(hours=1) <= valid_for <= MAX_VALID_FOR:
        raise InvitationError("An invitation works for between an hour and 30 days.")
    ensure_may_grant(actor, company=company, email=email, permissions=permissions)
    invited_by = actor.user
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
        company=company,
        email=email,
        permissions=permissions,
        invited_by=invited_by,
        invited_as=sent_as(actor),
    )
    _renew(invitation, valid_for)
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
        .select_related("company", "invited_by")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def resend_invitation(*, invitation: Invitation, actor: Actor) -> Invitation:
    """Email INVITATION again with a new link and expiry; earlier links stop working.

    A company user ACTOR needs "manage company users", an operator `accounts.change_invitation`.
    The invitation keeps its sender, so one its sender could no longer send is refused: cancel
    it and send a new one.
    """
    invitation = _lock_invitation(invitation)
    ensure_may_change_invitations(actor, company=invitation.company)
    if invitation.state not in (Invitation.State.PENDING, Invitation.State.EXPIRED):
        raise InvitationError("Only an open invitation can be resent.")
    try:
        ensure_sender_may_grant(invitation, lock=True)
    except SenderCannotGrantError as exc:
        raise SenderCannotGrantError(
            f"This invitation can no longer be accepted: {exc.why} Cancel it and send a new one.",
            why=exc.why,
        ) from None
    _renew(invitation)
    invitation.save(update_fields=["key", "expires_at"])
    event = audit(
        company=invitation.company,
        actor=actor.user,
        action=AuditEvent.Action.INVITATION_RESENT,
        target=invitation.email,
        invitation=invitation.pk,
    )
    _send_invitation_email(invitation, event)
    return invitation


@transaction.atomic
def cancel_invitation(*, invitation: Invitation, actor: Actor) -> Invitation:
    """Cancel INVITATION so that its link no longer works.

    A company user ACTOR needs "manage company users", an operator `accounts.change_invitation`.
    """
    invitation = _lock_invitation(invitation)
    ensure_may_change_invitations(actor, company=invitation.company)
    if invitation.state not in (Invitation.State.PENDING, Invitation.State.EXPIRED):
        raise InvitationError("Only an open invitation can be cancelled.")
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    audit(
        company=invitation.company,
        actor=actor.user,
        action=AuditEvent.Action.INVITATION_CANCELLED,
        target=invitation.email,
        invitation=invitation.pk,
    )
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user: User) -> CompanyUser:
    """Make USER a company user with the rights of the invitation TOKEN names; use it up.

    The sender must still be able to send it (SenderCannotGrantError otherwise): a company user
    who is still a user of the company holding every right it grants, or an operator who may
    still add company users. A refused invitation stays as it is; nothing is written.
    """
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
    if invitation.invited_by_id == user.pk:
        raise OwnRightsError("Nobody raises their own rights: ask someone else to invite you.")
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
