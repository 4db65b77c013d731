"""Fetch access lists from the Platform API: worker threads, HTTP only, never the database."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from accounts.addresses import normalize_email
from addons.access.teams import TeamLists, digest_endpoint, members_digest
from addons.heroku.cache import ResponseCache, StoredResponse
from addons.heroku.client import (
    COLLABORATOR,
    TEAM_MEMBER,
    AppInfo,
    Person,
    PlatformClient,
    ResourceCredentials,
)
from addons.heroku.errors import AddonGone, HerokuAPIError, PagesDoNotAddUp
from addons.models import AddonResource

logger = logging.getLogger(__name__)

SOURCES = (COLLABORATOR, TEAM_MEMBER)
ROLE_RANK = {"owner": 5, "admin": 4, "member": 3, "collaborator": 2, "viewer": 1}


@dataclass
class FetchJob:
    """One resource to fetch, with everything the fetch thread needs (no database access)."""

    resource: AddonResource
    credentials: ResourceCredentials
    cache: ResponseCache
    teams: TeamLists | None = None  # the run's shared team member lists


@dataclass
class FetchResult:
    """What was fetched for one resource: its people, or the error that stopped the fetch.

    REFUSED says that the error is an answer that cannot be true (pages that do not add up),
    rather than a call that failed.
    """

    job: FetchJob
    app: AppInfo | None = None
    collaborator_count: int = 0
    member_count: int = 0
    people: dict[str, Person] | None = None
    error: str = ""
    gone: bool = False
    refused: bool = False


def fetch_access_list(
    client: PlatformClient,
    job: FetchJob,
    calls: ThreadPoolExecutor | None = None,
    timeout: float | None = None,
) -> FetchResult:
    """Fetch who may use JOB's resource: add-on, then collaborators and app, then team members."""
    credentials = job.credentials
    if not credentials.access_token:
        return FetchResult(
            job, error="no OAuth access token: the provisioning grant was not exchanged"
        )
    deadline = client.clock() + timeout if timeout else None
    call = {"credentials": credentials, "cache": job.cache, "deadline": deadline}
    try:
        client.refresh_if_expiring(credentials)
        addon = client.fetch_addon(job.resource.uuid, **call)
        if calls is None:
            app = client.fetch_app(addon.app_id, **call)
            collaborators = client.fetch_collaborators(addon.app_id, **call)
        else:
            app_future = calls.submit(client.fetch_app, addon.app_id, **call)
            try:
                collaborators = client.fetch_collaborators(addon.app_id, **call)
            finally:
                wait([app_future])  # never leave a call of this resource running behind us
            app = app_future.result()
        members = _team_members(client, job, app.team_id, call) if app.team_id else []
    except AddonGone as exc:
        return FetchResult(job, gone=True, error=str(exc))
    except PagesDoNotAddUp as exc:
        return FetchResult(job, refused=True, error=f"refused: {exc}")
    except HerokuAPIError as exc:
        return FetchResult(job, error=str(exc))
    except Exception as exc:  # a bug must cost one resource this run, never the run
        logger.exception("unexpected error fetching the access list of %s", job.resource.uuid)
        return FetchResult(job, error=f"unexpected error: {type(exc).__name__}")
    return FetchResult(
        job,
        app=app,
        collaborator_count=len(collaborators),
        member_count=len(members),
        people=merge_people([*collaborators, *members]),
    )


def _team_members(client: PlatformClient, job: FetchJob, team_id: str, call: dict) -> list[Person]:
    """Return team TEAM_ID's members, shared through the run's TeamLists when it has them, and
    note their digest among JOB's stored responses (so a changed team is never "unchanged")."""
    if job.teams is None:
        return client.fetch_team_members(team_id, **call)

    def fetch(cache: ResponseCache) -> list[Person]:
        return client.fetch_team_members(team_id, **{**call, "cache": cache})

    people = job.teams.members(team_id, fetch)
    key = digest_endpoint(team_id)
    job.cache.get(key)
    job.cache.put(key, StoredResponse(members_digest(people), ""))
    return people


def merge_people(people: Iterable[Person]) -> dict[str, Person]:
    """Return PEOPLE united by lower-cased email, each with every source and the highest role."""
    merged: dict[str, Person] = {}
    for person in people:
        email = normalize_email(person.email)
        seen = merged.get(email)
        if seen is None:
            merged[email] = Person(email, person.heroku_user_id, person.sources, person.role)
            continue
        sources = tuple(s for s in SOURCES if s in seen.sources or s in person.sources)
        role = max(seen.role, person.role, key=lambda role: ROLE_RANK.get(role, 0))
        merged[email] = Person(email, seen.heroku_user_id or person.heroku_user_id, sources, role)
    return merged


class FetchWindow:
    """The fetches under way: CONCURRENCY threads, at most twice as many fetches submitted.

    The writer takes what has completed while the threads go on. The bound keeps a run from
    claiming and loading resources long before it can fetch them: a thread always has its next
    job waiting, and no more. A second pool runs the calls of one resource that need not wait
    for each other (its app and its collaborators). FETCH_TIMEOUT bounds each fetch, in seconds.
    """

    def __init__(
        self, client: PlatformClient, *, concurrency: int, fetch_timeout: float | None = None
    ):
        self.client = client
        self.concurrency = concurrency
        self.size = 2 * concurrency
        self.fetch_timeout = fetch_timeout
        self.pending: set[Future] = set()

    def __enter__(self) -> FetchWindow:
        self._fetches = ThreadPoolExecutor(self.concurrency, thread_name_prefix="sync-fetch")
        self._calls = ThreadPoolExecutor(self.concurrency, thread_name_prefix="sync-call")
        return self

    def __exit__(self, *exc_info) -> None:
        self._calls.shutdown()
        self._fetches.shutdown()

    def __len__(self) -> int:
        return len(self.pending)

    def full(self) -> bool:
        """Return whether the window holds as many fetches as it may."""
        return len(self.pending) >= self.size

    def submit(self, job: FetchJob) -> None:
        """Start fetching JOB's access list."""
        self.pending.add(
            self._fetches.submit(
                fetch_access_list, self.client, job, self._calls, self.fetch_timeout
            )
        )

    def completed(self, *, timeout: float | None) -> list[FetchResult]:
        """Wait up to TIMEOUT seconds for a fetch to complete; return every completed one."""
        done, self.pending = wait(self.pending, timeout=timeout, return_when=FIRST_COMPLETED)
        return [future.result() for future in done]
