"""Errors raised by the add-on services."""


class AddonsError(Exception):
    """A rule about add-ons and their resources was broken."""


class TicketError(AddonsError):
    """A rule about support tickets was broken."""


class ResourceNotOfAddonError(TicketError):
    """A ticket's resource must be an installation of the ticket's add-on."""

    def __init__(self):
        super().__init__("That resource does not belong to this add-on.")


class EmptyMessageError(TicketError):
    """A reply or note needs some text."""

    def __init__(self):
        super().__init__("Write a message first.")


class TicketClosedError(TicketError):
    """A closed ticket is final: nothing more may be added to it."""

    def __init__(self):
        super().__init__("This ticket is closed; open a new ticket instead.")


class AlreadyEscalatedError(TicketError):
    """A ticket is escalated to the add-on's support queue only once."""

    def __init__(self):
        super().__init__("This ticket is already in the add-on's support queue.")


class TicketAssigneeError(TicketError):
    """A ticket is assigned only to a user of its company who handles support tickets."""

    def __init__(self, email: str):
        super().__init__(f"{email} is not a user of this company who handles support tickets.")


class NothingChangedError(TicketError):
    """The requested value is the one the ticket already has."""


class IntakeError(AddonsError):
    """A request to the ticket intake API was refused; `status` is the HTTP status to answer."""

    def __init__(self, message: str, *, status: int):
        self.status = status
        super().__init__(message)


class PartnerAPIError(AddonsError):
    """A Partner API call that cannot be served; MESSAGE is shown to the Heroku user."""

    status = 400

    def __init__(self, message: str, *, outcome: str = ""):
        self.message = message
        # What the call log records; never a secret, and often more precise than MESSAGE.
        self.outcome = outcome or message
        super().__init__(message)


class PartnerAuthError(PartnerAPIError):
    """The Partner API credentials are missing or wrong."""

    status = 401


class MalformedRequestError(PartnerAPIError):
    """The body is not the JSON the Partner API expects."""

    status = 400


class RequestTooLargeError(PartnerAPIError):
    """The body is larger than any Partner API call needs."""

    status = 413


class ResourceNotFoundError(PartnerAPIError):
    """No resource of this add-on has that uuid."""

    status = 404


class ResourceConflictError(PartnerAPIError):
    """The uuid is already used by a resource that this request does not repeat."""

    status = 409


class InvalidParamsError(PartnerAPIError):
    """The body is well-formed JSON, but a value in it is not acceptable."""

    status = 422


class PlanRefusedError(InvalidParamsError):
    """The plan is unknown, belongs to another add-on, or cannot be changed now."""


class ManifestError(AddonsError):
    """An imported manifest does not fit the add-on."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class SSOError(AddonsError):
    """An Add-on SSO login or dashboard session was refused.

    `message` says what happened and `advice` what the person can do; both are shown on the 403
    page, so neither may carry a token, a salt or anything else secret.
    """

    title = "Heroku sign-in refused"
    default_message = "This sign-in could not be accepted."
    default_advice = "Open the add-on again from your Heroku dashboard."

    def __init__(self, message: str = "", *, advice: str = ""):
        self.message = message or self.default_message
        self.advice = advice or self.default_advice
        super().__init__(self.message)


class MalformedSSORequest(SSOError):
    """A field of the SSO form is missing or not in the shape Heroku sends."""

    default_message = "The sign-in request from Heroku was incomplete or malformed."


class InvalidSSOToken(SSOError):
    """The token does not match, or the resource is unknown (the two are not told apart)."""

    default_message = "This sign-in could not be verified."


class ExpiredSSOToken(SSOError):
    """The timestamp is older than SSO_TOKEN_MAX_AGE or further ahead than SSO_CLOCK_SKEW."""

    default_message = "This sign-in link has expired."


class ReplayedSSOToken(SSOError):
    """The token has been used before."""

    default_message = "This sign-in link has already been used."


class ResourceUnavailable(SSOError):
    """The resource is not provisioned (being provisioned, or de-provisioned)."""

    default_message = "This add-on is no longer installed on the app."
    default_advice = "If you think it should be, check the app's add-ons on your Heroku dashboard."


class NotOnAccessList(SSOError):
    """The person is not a collaborator or team member of the resource's app."""

    title = "No access to this add-on"


class AccessListUnavailable(SSOError):
    """The access list is too old to decide on and Heroku could not be asked for a fresh one."""

    title = "Access could not be confirmed"
    default_message = (
        "We could not confirm with Heroku that you may use this add-on, and our copy of the "
        "app's access list is too old to rely on."
    )
    default_advice = "This is usually temporary: try again in a few minutes."


class NoSSOSession(SSOError):
    """The request has no Heroku SSO session for this resource (a portal login is not one)."""

    title = "Open this add-on from Heroku"
    default_message = "The add-on dashboard is opened through Heroku, with single sign-on."
    default_advice = "Open the add-on from your app's Resources tab on the Heroku dashboard."


class SSOSessionEnded(SSOError):
    """The SSO session ended: it expired, access was removed, or the resource was removed."""

    title = "Your session has ended"
