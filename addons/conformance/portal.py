"""Heroku's side of the calls to a portal: the Partner API with basic auth, and the SSO form."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import urljoin

import requests

USER_AGENT = "partner-portal-conformance"


class PortalError(Exception):
    """The portal could not be asked, or its answer cannot be read."""


class PortalUnreachable(PortalError):
    """No answer at all: refused, unknown host, TLS or a timeout."""


class MalformedAnswer(PortalError):
    """An answer that is not what Heroku can read (not JSON, not an object, missing keys)."""


@dataclass
class Answer:
    status: int
    body: object  # the decoded JSON, or None for an empty body
    location: str = ""


def sso_tokens(*, resource_id: str, salt: str, timestamp: str, user_id: str, email: str) -> dict:
    """Return the tokens Heroku signs an SSO form with: user-scoped (sha256) and legacy (sha1)."""
    scoped = f"{resource_id}:{salt}:{timestamp}:{user_id}:{email}"
    legacy = f"{resource_id}:{salt}:{timestamp}"
    return {
        "user_scoped_resource_token": hashlib.sha256(scoped.encode()).hexdigest(),
        "resource_token": hashlib.sha1(legacy.encode()).hexdigest(),  # noqa: S324 (Heroku's)
    }


class PortalClient:
    """Call the portal at BASE_URL as Heroku does, each call with TIMEOUT seconds."""

    def __init__(self, base_url: str, *, addon: str, password: str, timeout: float):
        self.base_url = base_url.rstrip("/") + "/"
        self.auth = (addon, password)
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def partner_api(self, method: str, path: str, body=None, *, auth=None) -> Answer:
        """Send METHOD PATH of the Partner API, with AUTH (default: the add-on's; False: none)."""
        auth = self.auth if auth is None else (auth or None)
        response = self._send(method, path, json=body, auth=auth)
        return Answer(response.status_code, self._json(response, method, path))

    def sso_login(self, form: dict) -> Answer:
        """POST FORM to /sso/login, keeping the session cookie it sets; do not follow a redirect."""
        response = self._send("POST", "sso/login", data=form)
        return Answer(response.status_code, None, response.headers.get("Location", ""))

    def get_page(self, location: str) -> int:
        """GET LOCATION (relative to the portal) with the session's cookies; return the status.

        The cookies go along even over plain http: a browser would reach a production portal
        over https, where its `Secure` session cookie is sent (requests keeps it back on http).
        """
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.session.cookies)
        return self._send("GET", location, headers={"Cookie": cookies}).status_code

    def close(self) -> None:
        self.session.close()

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        url = urljoin(self.base_url, path.lstrip("/") if not path.startswith("http") else path)
        try:
            return self.session.request(
                method, url, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except requests.Timeout:
            raise PortalUnreachable(
                f"{method} {url}: no answer within {self.timeout:g} s"
            ) from None
        except requests.RequestException as exc:
            raise PortalUnreachable(
                f"{method} {url}: cannot reach the portal ({_reason(exc)})"
            ) from None

    @staticmethod
    def _json(response: requests.Response, method: str, path: str):
        if not response.content:
            return None
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            snippet = response.text[:80].replace("\n", " ")
            raise MalformedAnswer(
                f"{method} /{path.lstrip('/')} answered {response.status_code} with a body that "
                f"is not JSON: {snippet!r}"
            ) from None


def _reason(exc: requests.RequestException) -> str:
    """Return the innermost cause of EXC, e.g. "Connection refused", without a traceback."""
    cause: BaseException = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    text = str(cause) or type(cause).__name__
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text
