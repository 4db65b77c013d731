"""The Platform API client: read a resource's add-on, app, collaborators and team members."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone

from addons.heroku.cache import StoredResponse
from addons.heroku.errors import (
    AddonGone,
    HerokuAPIError,
    MalformedResponse,
    NotFound,
    RetryLater,
    TokenRejected,
    transport_failure,
    typed_error,
)
from addons.heroku.oauth import OAuthClient, Tokens
from addons.heroku.pacing import Pacer
from addons.heroku.paging import PageSequence
from addons.heroku.retries import READ_RETRY, DeadlineTimeout, PacedRetry
from addons.heroku.session import get_with_retry, platform_session
from addons.models.access import AccessGrant

PAGE_SIZE = 1000  # Heroku's maximum page size


# Refresh a token that expires within this margin rather than let a call fail on it.
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)


class ResourceCredentials:
    """The OAuth tokens one resource calls the Platform API with; refreshed in place.

    Shared by the threads that fetch one resource, so a refresh happens once. `refreshed` holds
    the new tokens for the caller to store (fetch threads never write to the database).
    """

    def __init__(
        self,
        *,
        access_token: str,
        refresh_token: str = "",
        expires_at: datetime | None = None,
        client_secret: str = "",
    ):
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.expires_at = expires_at
        self.client_secret = client_secret
        self.refreshed: Tokens | None = None
        self.lock = threading.Lock()

    def __repr__(self):  # never print the tokens themselves
        expires = self.expires_at.isoformat() if self.expires_at else None
        return f"ResourceCredentials(expires_at={expires}, refreshed={self.refreshed is not None})"

    def expires_soon(self, now: datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at - (now or timezone.now()) < TOKEN_REFRESH_MARGIN

    def use(self, tokens: Tokens) -> None:
        self.access_token = tokens.access_token
        self.refresh_token = tokens.refresh_token
        self.expires_at = tokens.expires_at
        self.refreshed = tokens


class PlatformClient:
    """Read a resource's add-on, app, collaborators and team members from the Platform API.

    Thread-safe: each thread gets its own `requests.Session`. Every call has a timeout, follows
    206 paging to the end, sends If-None-Match when a ResponseCache holds the endpoint and
    refreshes the token once on a 401. Transport errors, 5xx and 429 are retried by urllib3 in the
    session's adapter, as RETRY says (READ_RETRY; `max_attempts` shortens or lengthens it), paced
    by PACER, which every thread of a run shares (see `addons.heroku.retries`).
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        retry: PacedRetry = READ_RETRY,
        max_attempts: int | None = None,
        sleep=time.sleep,
        jitter=random.random,
        clock=time.monotonic,
        pacer: Pacer | None = None,
    ):
        self.base_url = (base_url or settings.HEROKU_API_URL).rstrip("/")
        self.timeout = timeout or settings.HEROKU_API_TIMEOUT
        self.retry = retry if max_attempts is None else retry.new(total=max_attempts - 1)
        self.sleep = sleep
        self.jitter = jitter
        self.clock = clock
        self.pacer = pacer or Pacer(sleep=sleep, clock=clock, jitter=jitter)
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = platform_session(self.base_url, retry=self.retry)
        return session

    @property
    def oauth(self) -> OAuthClient:
        oauth = getattr(self._local, "oauth", None)
        if oauth is None:
            oauth = self._local.oauth = OAuthClient(timeout=self.timeout)
        return oauth

    # Calls ---------------------------------------------------------------------------------
    def fetch_addon(self, resource_uuid, *, credentials, cache=None, deadline=None) -> AddonInfo:
        """Return the add-on resource RESOURCE_UUID; raise AddonGone when Heroku has no such one."""
        path = f"/addons/{resource_uuid}"
        try:
            payload = self._get_object(
                path, credentials=credentials, cache=cache, deadline=deadline
            )
        except NotFound as exc:
            raise AddonGone(str(exc), status=exc.status, error_id=exc.error_id) from None
        try:
            app = payload["app"]
            return AddonInfo(app_id=str(app["id"]), app_name=str(app.get("name") or ""))
        except (KeyError, TypeError, AttributeError):
            raise MalformedResponse(f"GET {path}: answer lacks app") from None

    def fetch_app(self, app_id, *, credentials, cache=None, deadline=None) -> AppInfo:
        """Return app APP_ID with its team (None for a personal app)."""
        path = f"/apps/{app_id}"
        payload = self._get_object(path, credentials=credentials, cache=cache, deadline=deadline)
        try:
            team = payload.get("team")
            owner = payload.get("owner") or {}
            return AppInfo(
                id=str(payload["id"]),
                name=str(payload["name"]),
                team_id=str(team["id"]) if team else "",
                team_name=str(team.get("name") or "") if team else "",
                owner_email=str(owner.get("email") or "").lower(),
                owner_id=str(owner.get("id") or ""),
            )
        except (KeyError, TypeError, AttributeError):
            raise MalformedResponse(f"GET {path}: answer lacks id, name, team or owner") from None

    def fetch_collaborators(
        self, app_id, *, credentials, cache=None, deadline=None
    ) -> list[Person]:
        """Return every collaborator of app APP_ID."""
        path = f"/apps/{app_id}/collaborators"
        items = self._get_list(
            path, range_field="id", credentials=credentials, cache=cache, deadline=deadline
        )
        try:
            return [
                Person(
                    email=item["user"]["email"].lower(),
                    heroku_user_id=str(item["user"].get("id") or ""),
                    sources=(AccessGrant.Source.COLLABORATOR,),
                    role=str(item.get("role") or ""),
                )
                for item in items
            ]
        except (KeyError, TypeError, AttributeError):
            raise MalformedResponse(f"GET {path}: a collaborator lacks user.email") from None

    def fetch_team_members(
        self, team_id, *, credentials, cache=None, deadline=None
    ) -> list[Person]:
        """Return every member of team TEAM_ID."""
        path = f"/teams/{team_id}/members"
        items = self._get_list(
            path, range_field="email", credentials=credentials, cache=cache, deadline=deadline
        )
        return team_members_from(items, path)

    def refresh_if_expiring(self, credentials: ResourceCredentials) -> None:
        """Refresh CREDENTIALS when the access token expires within TOKEN_REFRESH_MARGIN."""
        if credentials.expires_soon():
            self.refresh(credentials, failed_token=credentials.access_token)

    def refresh(
        self,
        credentials: ResourceCredentials,
        *,
        failed_token: str,
        deadline: float | None = None,
    ) -> None:
        """Replace FAILED_TOKEN in CREDENTIALS by fresh tokens (once, whichever thread asks)."""
        with credentials.lock:
            if credentials.access_token != failed_token:
                return  # another thread of this resource refreshed already
            if not credentials.refresh_token or not credentials.client_secret:
                raise TokenRejected("OAuth token refresh: no refresh token or client secret")
            try:
                tokens = self.oauth.refresh(
                    refresh_token=credentials.refresh_token,
                    client_secret=credentials.client_secret,
                    timeout=self._time_left(deadline, "OAuth token refresh"),
                )
            except RetryLater:
                raise
            except HerokuAPIError as exc:
                raise TokenRejected(str(exc), status=exc.status, error_id=exc.error_id) from None
            credentials.use(tokens)

    # Plumbing ------------------------------------------------------------------------------
    def _get_object(self, path, *, credentials, cache, deadline) -> dict:
        payload, *_ = self._get_page(path, None, credentials, cache, deadline)
        if not isinstance(payload, dict):
            raise MalformedResponse(f"GET {path}: expected an object")
        return payload

    def _get_list(self, path, *, range_field, credentials, cache, deadline) -> list:
        """Return every item of the list at PATH, paged by RANGE_FIELD; the pages must add up."""
        items: list = []
        range_header = f"{range_field} ..; max={PAGE_SIZE}"
        pages = PageSequence(path, field=range_field, max_size=PAGE_SIZE)
        while True:
            payload, status, next_range, content_range = self._get_page(
                path, range_header, credentials, cache, deadline
            )
            if not isinstance(payload, list):
                raise MalformedResponse(f"GET {path}: expected a list")
            pages.add(payload, status=status, next_range=next_range, content_range=content_range)
            items.extend(payload)
            if status == 200:
                return items
            range_header = next_range

    def _get_page(self, path, range_header, credentials, cache, deadline):
        """Return (payload, status, next_range, content_range) of one GET, from the cache on a
        304 (which keeps no Content-Range: None)."""
        endpoint = f"{path} {range_header}" if range_header else path
        stored = cache.get(endpoint) if cache is not None else None
        response = self._request(path, range_header, stored, credentials, deadline)
        if response.status_code == 304:
            if stored is None:
                raise MalformedResponse(f"GET {path}: 304 Not Modified to an unconditional request")
            cache.put(endpoint, stored)
            body, status, next_range = stored.body, stored.status, stored.next_range
            content_range = None
        else:
            body, status = response.text, response.status_code
            next_range = response.headers.get("Next-Range", "")
            content_range = response.headers.get("Content-Range", "")
        try:
            payload = json.loads(body)
        except ValueError:
            raise MalformedResponse(f"GET {path}: HTTP {status} body is not JSON") from None
        etag = response.headers.get("ETag") if response.status_code != 304 else None
        if etag and cache is not None:
            cache.put(endpoint, StoredResponse(etag, body, status, next_range))
        return payload, status, next_range, content_range

    def _request(self, path, range_header, stored, credentials, deadline) -> requests.Response:
        """GET PATH; on a 401 refresh the token once and ask again with the new one.

        Everything else that may succeed later (transport errors, 5xx, 429) is retried inside
        the session's adapter (`_send`); what still fails is raised as a typed error.
        """
        what = f"GET {path}"
        token = credentials.access_token
        response = self._send(what, path, _headers(token, range_header, stored), deadline)
        if response.status_code == 401:
            self.refresh(credentials, failed_token=token, deadline=deadline)
            headers = _headers(credentials.access_token, range_header, stored)
            response = self._send(what, path, headers, deadline)
        if response.status_code in (200, 206, 304):
            return response
        raise typed_error(response, what)

    def _send(self, what, path, headers, deadline) -> requests.Response:
        """Send one GET (retried in the adapter by this call's PacedRetry) and return its answer."""
        timeout = self._timeout(deadline, what)
        if deadline is not None and self.pacer.ready_at() >= deadline:
            raise RetryLater(f"{what}: the rate limit holds requests past the deadline")
        self.pacer.wait()
        url = self.base_url + path
        retry = self.retry.paced(self.pacer, deadline=deadline)
        try:
            response = get_with_retry(
                self.session, url, retry=retry, headers=headers, timeout=timeout
            )
        except requests.RequestException as exc:
            raise RetryLater(f"{what}: {transport_failure(exc)}") from None
        retry.observe(response.raw)  # the answers before it were observed as they were retried
        return response

    def _time_left(self, deadline: float | None, what: str) -> float:
        if deadline is None:
            return self.timeout
        left = deadline - self.clock()
        if left <= 0:
            raise RetryLater(f"{what}: deadline passed before the request")
        return min(self.timeout, left)

    def _timeout(self, deadline: float | None, what: str) -> float | DeadlineTimeout:
        limit = self._time_left(deadline, what)
        if deadline is None:
            return limit
        return DeadlineTimeout(limit, deadline=deadline, clock=self.clock)


def team_members_from(items: list, path: str) -> list[Person]:
    """Return the people of the team member list ITEMS (the pages of PATH, joined)."""
    try:
        people = []
        for item in items:
            user = item.get("user") or {}
            people.append(
                Person(
                    email=(item.get("email") or user["email"]).lower(),
                    heroku_user_id=str(user.get("id") or ""),
                    sources=(AccessGrant.Source.TEAM_MEMBER,),
                    role=str(item.get("role") or ""),
                )
            )
        return people
    except (KeyError, TypeError, AttributeError):
        raise MalformedResponse(f"GET {path}: a team member lacks an email") from None


def _headers(token: str, range_header: str | None, stored: StoredResponse | None) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if range_header:
        headers["Range"] = range_header
    if stored is not None:
        headers["If-None-Match"] = stored.etag
    return headers


# Aliases kept for addons.access.sync, which imports them: the values are AccessGrant.Source's.
COLLABORATOR = AccessGrant.Source.COLLABORATOR
TEAM_MEMBER = AccessGrant.Source.TEAM_MEMBER


@dataclass(frozen=True)
class AddonInfo:
    """The app an add-on resource is attached to (its `state` is not read: the Partner API tells
    us of de-provisioning, and a 404 here marks the resource gone)."""

    app_id: str
    app_name: str


@dataclass(frozen=True)
class AppInfo:
    """An app, its team ("" for a personal app) and its owner (for a team app, the team)."""

    id: str
    name: str
    team_id: str
    team_name: str
    owner_email: str = ""
    owner_id: str = ""


@dataclass(frozen=True)
class Person:
    """One person who may use a resource: lower-cased email, Heroku user id, sources, role."""

    email: str
    heroku_user_id: str
    sources: tuple[str, ...]
    role: str
