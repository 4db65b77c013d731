"""Errors of the Add-on Partner API; each carries the HTTP status it answers with."""

from addons.exceptions import AddonsError


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


class ServiceUnavailableError(PartnerAPIError):
    """The add-on's service failed; Heroku may try again."""

    status = 503
