"""Refusals of Add-on SSO and of the dashboard session."""

from addons.exceptions import AddonsError


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


class AccessPaused(AccessListUnavailable):
    """The person is not on the stored list, and additions to access lists are paused by the
    sync's circuit breaker (an unusual number of lists changed at once)."""

    default_message = (
        "New access to add-ons is on hold for a little while: an unusual number of Heroku "
        "access lists changed at once, and they are being checked before anyone new is let in."
    )
    default_advice = (
        "If you were just added to the app on Heroku, try again later. People who could open "
        "the add-on before are not affected."
    )


class NoSSOSession(SSOError):
    """The request has no Heroku SSO session for this resource (a portal login is not one)."""

    title = "Open this add-on from Heroku"
    default_message = "The add-on dashboard is opened through Heroku, with single sign-on."
    default_advice = "Open the add-on from your app's Resources tab on the Heroku dashboard."


class SSOSessionEnded(SSOError):
    """The SSO session ended: it expired, access was removed, or the resource was removed."""

    title = "Your session has ended"
