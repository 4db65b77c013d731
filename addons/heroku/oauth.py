"""OAuth at HEROKU_ID_URL: exchange a resource's provisioning grant, refresh its tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone

from addons.heroku.errors import HerokuAPIError, OAuthError, RetryLater, error_from_response
from addons.heroku.session import USER_AGENT


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime

    def __repr__(self):  # never print the tokens themselves
        return f"Tokens(expires_at={self.expires_at.isoformat()})"


class OAuthClient:
    """Exchange grants and refresh tokens at HEROKU_ID_URL/oauth/token.

    The token endpoint is a POST and is not retried here (requests' default adapter makes one
    attempt): a grant is single use and a refresh may rotate the refresh token, so a request that
    reached Heroku but lost its answer must not be sent again blindly. The callers retry at their
    own pace instead: a failed grant exchange by its schedule (addons.partner_api.grants), a failed
    refresh (RetryLater) by the next sync run.
    """

    def __init__(self, *, base_url: str | None = None, timeout: float | None = None):
        self.base_url = (base_url or settings.HEROKU_ID_URL).rstrip("/")
        self.timeout = timeout or settings.HEROKU_API_TIMEOUT
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def exchange_grant(self, *, code: str, client_secret: str) -> Tokens:
        """Return the tokens for a provisioning grant CODE."""
        return self._token_request(
            {"grant_type": "authorization_code", "code": code, "client_secret": client_secret},
            "OAuth grant exchange",
        )

    def refresh(
        self, *, refresh_token: str, client_secret: str, timeout: float | None = None
    ) -> Tokens:
        """Return fresh tokens for REFRESH_TOKEN (TIMEOUT, when given, bounds this request)."""
        return self._token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_secret": client_secret,
            },
            "OAuth token refresh",
            timeout=timeout,
        )

    def _token_request(self, form: dict, what: str, *, timeout: float | None = None) -> Tokens:
        try:
            response = self.session.post(
                f"{self.base_url}/oauth/token", data=form, timeout=timeout or self.timeout
            )
        except requests.RequestException as exc:
            raise RetryLater(f"{what}: {type(exc).__name__}") from None
        if response.status_code != 200:
            error = error_from_response(response, what)
            if isinstance(error, RetryLater):
                raise error
            raise OAuthError(str(error), status=error.status, error_id=error.error_id)
        try:
            payload = response.json()
            return Tokens(
                access_token=str(payload["access_token"]),
                refresh_token=str(payload["refresh_token"]),
                expires_at=timezone.now() + timedelta(seconds=int(payload["expires_in"])),
            )
        except (ValueError, KeyError, TypeError):
            raise HerokuAPIError(f"{what}: malformed answer", status=200) from None
