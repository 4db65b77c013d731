"""Errors of the add-on lifecycle; each says what went wrong in words a person can act on."""

from addons.exceptions import AddonsError


class LifecycleError(AddonsError):
    """A lifecycle step could not be taken."""


class ProvisionerError(LifecycleError):
    """The provisioner failed: the add-on's service is unreachable, erred or answered nonsense."""


class ProvisionerRefusal(LifecycleError):
    """The provisioner refused the request; its MESSAGE may be shown to the Heroku user."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class ConfigRefused(LifecycleError):
    """Config that the manifest does not allow (names outside its config_vars, bad values)."""


class WrongState(LifecycleError):
    """The resource is not in a state where this step can be taken."""


class RotationInProgress(WrongState):
    """A rotation of this resource's credentials is already under way."""


class ServiceNotConfigured(LifecycleError):
    """The add-on has no service URL or signing secret to send events to."""


class SignatureError(LifecycleError):
    """A request of the add-on's service is not signed as the portal's API requires."""


class StaleEvent(SignatureError):
    """The event's timestamp is too old, or too far in the future."""


class ReplayedEvent(SignatureError):
    """The event id was used before."""
