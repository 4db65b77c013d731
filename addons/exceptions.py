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
