"""Errors raised by the accounts services. Views show their message to the user."""

from accounts.permissions import Permission


class AccountsError(Exception):
    """A rule about companies and their users was broken."""


class NoProviderAccountError(AccountsError):
    """The email has no account that has joined the provider program."""

    def __init__(self, email: str):
        self.email = email
        super().__init__(f"{email} doesn't have a Heroku account associated with it")


class AlreadyMemberError(AccountsError):
    """The person is already a user of this company."""


class LastManagerError(AccountsError):
    """A company must keep one user who can manage users."""


class CompanyInUseError(AccountsError):
    """Rows of another app still depend on the company (PROTECT), so it cannot be deleted."""

    def __init__(self, company, protected_objects):
        counts: dict[type, int] = {}
        for obj in protected_objects:
            counts[type(obj)] = counts.get(type(obj), 0) + 1
        what = ", ".join(
            f"{count} {model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural}"
            for model, count in counts.items()
        )
        super().__init__(f"{company} cannot be deleted: it still has {what}.")


class InvitationError(AccountsError):
    """The invitation is expired, used, cancelled, or does not exist."""


class NotInProviderProgramError(AccountsError):
    """The person must join the provider program first."""


class InvalidInvitationLinkError(InvitationError):
    """The invitation link was tampered with or names no invitation."""


class NotAMemberError(AccountsError):
    """The person is not (or no longer) a user of this company."""


class InvitationForAnotherEmailError(InvitationError):
    """The invitation was sent to another email address than the logged-in person's."""


class NotPermittedError(AccountsError):
    """The acting person may not do this: a right they lack, or one they cannot give."""


class RightsNotHeldError(NotPermittedError):
    """A company user tried to give rights they do not hold themselves."""

    def __init__(self, missing):
        self.missing = frozenset(Permission(p) for p in missing)
        labels = ", ".join(p.label for p in Permission if p in self.missing)
        super().__init__(f"You can grant only rights you hold yourself; you do not hold: {labels}.")


class OwnRightsError(NotPermittedError):
    """Nobody raises their own rights, nor adds or invites themselves."""


class SenderCannotGrantError(InvitationError, NotPermittedError):
    """The invitation's sender can no longer grant the rights it offers.

    WHY says what changed (the sender was revoked, lowered, ...); the message adds what the
    invitee can do about it.
    """

    def __init__(self, message: str, *, why: str = ""):
        self.why = why or message
        super().__init__(message)


class UnverifiedEmailError(AccountsError):
    """The person's e-mail address is not proven yet (the sign-up link was never followed)."""

    def __init__(self, email: str):
        self.email = email
        super().__init__(
            f"Verify your e-mail address {email} first: follow the link we e-mailed you, or ask "
            "for a new one."
        )
