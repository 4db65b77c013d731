"""Who is acting on company users, in which capacity, and what each capacity may do.

Every service that adds, invites, changes or revokes a company user takes an `actor`, which says
explicitly in which capacity its caller acts; the services never guess it from a `User`:

- `CompanyUserActor(membership)`: a company user in the portal, bound by the company's rights
  model. They may give another person only rights they hold themselves, and only while they hold
  "Add and remove other company users"; that right covers *other* people only. Their own
  membership they may lower (remove rights) or leave, never raise.
- `OperatorActor(user)`: an operator in the Django admin, outside any company's rights model:
  what they may do is Django's model permissions (`OPERATOR_MAY`). An operator raises no rights of
  their own either: they cannot add or invite themselves, nor add rights to a membership of their
  own.

The rule itself is `check_change_of_rights`, a pure function: the services call it on rows they
have locked. `rights_to_offer` is what it allows, as the portal's forms offer it (a test holds
the two to each other).
"""

from dataclasses import dataclass

from accounts.addresses import normalize_email
from accounts.exceptions import (
    NotPermittedError,
    OwnRightsError,
    RightsNotHeldError,
    SenderCannotGrantError,
)
from accounts.models import Company, CompanyUser, Invitation, User
from accounts.permissions import Permission


@dataclass(frozen=True)
class CompanyUserActor:
    """A company user acting in the portal, bound by the rights their MEMBERSHIP holds."""

    membership: CompanyUser

    @property
    def user(self) -> User:
        return self.membership.user


@dataclass(frozen=True)
class OperatorActor:
    """An operator acting in the admin with Django's model permissions, outside any company."""

    user: User


Actor = CompanyUserActor | OperatorActor

# What an operator needs, as Django model permissions, for each kind of change.
OPERATOR_MAY = {
    "add": "accounts.add_companyuser",  # add a company user, or invite one (acceptance adds one)
    "change": "accounts.change_companyuser",  # set another person's rights
    "revoke": "accounts.delete_companyuser",
    "invitations": "accounts.change_invitation",  # resend or cancel
}

OWN_RIGHTS = "You can remove your own rights, never add any."
MANAGE_USERS_NEEDED = (
    f"You need the “{Permission.MANAGE_COMPANY_USERS.label}” right to change other company users."
)


Rights = frozenset[Permission]


def check_change_of_rights(*, held: Rights, before: Rights, after: Rights, own: bool) -> None:
    """Raise NotPermittedError unless a company user holding HELD may change BEFORE to AFTER.

    OWN says whether the rights are the company user's own. A person who is not yet a company
    user (added or invited) has BEFORE empty.
    """
    added = after - before
    if own:
        if added:
            raise OwnRightsError(OWN_RIGHTS)
        return
    if Permission.MANAGE_COMPANY_USERS not in held:
        raise NotPermittedError(MANAGE_USERS_NEEDED)
    if added - held:
        raise RightsNotHeldError(added - held)


def rights_to_offer(*, held: Rights, before: Rights, own: bool) -> Rights:
    """Return the rights a form may let a company user holding HELD tick (BEFORE: ticked now)."""
    return before if own else before | held


def operator_may(user: User | None, change: str) -> bool:
    """Whether USER is an active operator with the model permission CHANGE needs now."""
    return bool(user and user.is_active and user.is_staff and user.has_perm(OPERATOR_MAY[change]))


def ensure_operator_may(actor: OperatorActor, change: str) -> None:
    """Raise NotPermittedError unless ACTOR holds the model permission CHANGE needs."""
    if not operator_may(actor.user, change):
        raise NotPermittedError(
            f"Operators need the “{OPERATOR_MAY[change]}” permission to do this."
        )


def acting_membership(actor: CompanyUserActor, company: Company) -> CompanyUser:
    """Return ACTOR's membership of COMPANY as it is now, locked; NotPermittedError if gone."""
    membership = (
        CompanyUser.objects.select_for_update(of=("self",))
        .filter(pk=actor.membership.pk, company_id=company.pk)
        .first()
    )
    if membership is None:
        raise NotPermittedError(f"You are not a user of {company}.")
    return membership


def is_own(actor: Actor, company_user: CompanyUser) -> bool:
    """Whether COMPANY_USER is the acting person's own membership."""
    return company_user.user_id == actor.user.pk


def ensure_may_grant(actor: Actor, *, company: Company, email: str, permissions: Rights) -> None:
    """Raise NotPermittedError unless ACTOR may add or invite EMAIL to COMPANY with PERMISSIONS."""
    if normalize_email(email) == normalize_email(actor.user.email):
        raise OwnRightsError(
            "Nobody raises their own rights: ask someone else to add or invite you."
        )
    if isinstance(actor, OperatorActor):
        ensure_operator_may(actor, "add")
        return
    held = acting_membership(actor, company).permissions
    check_change_of_rights(held=held, before=frozenset(), after=permissions, own=False)


def ensure_may_set_rights(actor: Actor, *, company_user: CompanyUser, permissions: Rights) -> None:
    """Raise NotPermittedError unless ACTOR may give COMPANY_USER (locked) PERMISSIONS."""
    before = company_user.permissions
    if is_own(actor, company_user):
        check_change_of_rights(held=before, before=before, after=permissions, own=True)
    elif isinstance(actor, OperatorActor):
        ensure_operator_may(actor, "change")
    else:
        held = acting_membership(actor, company_user.company).permissions
        check_change_of_rights(held=held, before=before, after=permissions, own=False)


def ensure_may_revoke(actor: Actor, *, company_user: CompanyUser) -> None:
    """Raise NotPermittedError unless ACTOR may revoke COMPANY_USER; anyone may leave."""
    if is_own(actor, company_user):
        return
    if isinstance(actor, OperatorActor):
        ensure_operator_may(actor, "revoke")
        return
    held = acting_membership(actor, company_user.company).permissions
    if Permission.MANAGE_COMPANY_USERS not in held:
        raise NotPermittedError(MANAGE_USERS_NEEDED)


def ensure_may_change_invitations(actor: Actor, *, company: Company) -> None:
    """Raise NotPermittedError unless ACTOR may resend or cancel COMPANY's invitations."""
    if isinstance(actor, OperatorActor):
        ensure_operator_may(actor, "invitations")
        return
    if Permission.MANAGE_COMPANY_USERS not in acting_membership(actor, company).permissions:
        raise NotPermittedError(MANAGE_USERS_NEEDED)


def sent_as(actor: Actor) -> Invitation.SentAs:
    """Return the capacity an invitation records for ACTOR, its sender."""
    if isinstance(actor, OperatorActor):
        return Invitation.SentAs.OPERATOR
    return Invitation.SentAs.COMPANY_USER


def sender_may_grant(invitation: Invitation, *, sender_rights: Rights | None) -> bool:
    """Whether INVITATION's sender could send it now; SENDER_RIGHTS: their membership's rights.

    SENDER_RIGHTS is None when the sender is not a user of the invitation's company. A company
    user's invitation needs them to hold "manage company users" and every right it grants; an
    operator's needs them to be an active operator who may still add company users.
    """
    sender = invitation.invited_by
    if invitation.invited_as == Invitation.SentAs.OPERATOR:
        return operator_may(sender, "add")
    if sender is None or sender_rights is None:
        return False
    try:
        check_change_of_rights(
            held=sender_rights, before=frozenset(), after=invitation.permissions, own=False
        )
    except NotPermittedError:
        return False
    return True


def ensure_sender_may_grant(invitation: Invitation, *, lock: bool = False) -> None:
    """Raise SenderCannotGrantError unless INVITATION's sender could still send it now.

    LOCK locks the sender's membership, so that it cannot change before the caller commits.
    """
    sender, company = invitation.invited_by, invitation.company
    sender_rights = None
    if sender is not None and invitation.invited_as == Invitation.SentAs.COMPANY_USER:
        memberships = CompanyUser.objects.filter(company_id=company.pk, user_id=sender.pk)
        if lock:
            memberships = memberships.select_for_update(of=("self",))
        sender_rights = next(iter(memberships.values_list("permissions", flat=True)), None)
    if sender_may_grant(invitation, sender_rights=sender_rights):
        return
    ask = f"Ask a user of {company} who manages company users to send you a new invitation."
    if sender is None:
        why = "The person who sent this invitation no longer has an account."
    elif invitation.invited_as == Invitation.SentAs.OPERATOR:
        why = f"{sender.email}, who sent this invitation, may no longer add company users."
    elif sender_rights is None:
        why = f"{sender.email}, who sent this invitation, is no longer a user of {company}."
    else:
        why = f"{sender.email}, who sent this invitation, can no longer grant the rights it offers."
    raise SenderCannotGrantError(f"{why} {ask}", why=why)
