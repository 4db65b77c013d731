"""Typed errors of Heroku's APIs. None ever carries a token or secret in its message."""

from __future__ import annotations

import requests
from urllib3.exceptions import MaxRetryError


class HerokuAPIError(Exception):
    """Heroku answered with an error that retrying will not fix."""

    def __init__(self, message: str, *, status: int | None = None, error_id: str = ""):
        self.status = status
        self.error_id = error_id
        super().__init__(message)


class RetryLater(HerokuAPIError):
    """A transport error, a 5xx or a 429: the same call may succeed later."""


class OAuthError(HerokuAPIError):
    """The OAuth grant or refresh token was refused."""


def error_from_response(response: requests.Response, what: str) -> HerokuAPIError:
    """Return the typed error for an unsuccessful RESPONSE to WHAT (no secrets in it)."""
    try:
        payload = response.json()
        error_id, message = payload.get("id", ""), payload.get("message", "")
    except (ValueError, AttributeError):
        error_id, message = "", ""
    text = f"{what}: HTTP {response.status_code}" + (f" {error_id}" if error_id else "")
    if message:
        text += f" ({message[:200]})"
    cls = RetryLater if response.status_code >= 500 or response.status_code == 429 else None
    return (cls or HerokuAPIError)(text, status=response.status_code, error_id=error_id)


class TokenRejected(HerokuAPIError):
    """The resource's token was refused (401) even after a refresh, or could not be refreshed."""


class AccessDenied(HerokuAPIError):
    """The resource's token may not read what was asked (403)."""


class NotFound(HerokuAPIError):
    """Heroku does not know what was asked (404)."""


class AddonGone(NotFound):
    """The add-on resource itself no longer exists on Heroku (404 on /addons/{uuid})."""


class MalformedResponse(HerokuAPIError):
    """Heroku answered something that is not what the API promises (bad JSON, 206 without
    Next-Range, missing fields)."""


class PagesDoNotAddUp(MalformedResponse):
    """The pages of a list do not add up to one whole list (see `addons.heroku.paging`): the
    answer cannot be Heroku's complete list, so it must not replace a stored one."""


def transport_failure(exc: requests.RequestException) -> str:
    """Name what went wrong on the wire, e.g. `ConnectionError (ReadTimeoutError)`.

    Never the error's text, which holds the URL. urllib3 wraps the last error of a retried call
    in MaxRetryError; its reason says what it was.
    """
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError) and cause.reason is not None:
        return f"{type(exc).__name__} ({type(cause.reason).__name__})"
    return type(exc).__name__


def typed_error(response: requests.Response, what: str) -> HerokuAPIError:
    """Return the most specific error for an unsuccessful Platform API RESPONSE to WHAT."""
    error = error_from_response(response, what)
    cls = {401: TokenRejected, 403: AccessDenied, 404: NotFound}.get(response.status_code)
    if cls is None:
        return error
    return cls(str(error), status=error.status, error_id=error.error_id)
