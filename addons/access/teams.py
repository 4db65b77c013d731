"""Team member lists, fetched once per team per run and shared by every resource of the team.

No webhook tells of team membership, so every run reads each team's members: once, with the
ETag stored per team (`TeamResponse`), whichever of the team's resources asks first and with its
token (if that call fails, the next resource of the team asks with its own). The fetch threads
never touch the database: the writer loads the teams' stored pages before the jobs start
(`preload`) and stores what changed after (`store_changes`).

A resource's own stored responses keep a digest of the member list it was last built from, so an
unchanged team (304) and unchanged own calls still make the list "unchanged", while a team whose
list changed (whichever resource saw it first) makes every resource of the team apply it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from addons.heroku.cache import ResponseCache, StoredResponse
from addons.heroku.client import PAGE_SIZE, Person, team_members_from
from addons.models import TeamResponse

FetchMembers = Callable[[ResponseCache], list[Person]]


def members_path(team_id: str) -> str:
    return f"/teams/{team_id}/members"


def digest_endpoint(team_id: str) -> str:
    """Return the key under which a resource keeps the digest of its team's member list."""
    return f"team-members-digest {team_id}"


def members_digest(people: Iterable[Person]) -> str:
    """Return a digest of PEOPLE that changes whenever who they are, or their roles, change."""
    rows = sorted((p.email, p.heroku_user_id, p.role) for p in people)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


class _Team:
    def __init__(self, stored: dict[str, StoredResponse], confirmed_at: datetime | None):
        self.lock = threading.Lock()
        self.cache = ResponseCache(stored)
        self.confirmed_at = confirmed_at
        self.people: list[Person] | None = None
        self.fetched = False  # answered by Heroku in this run (the writer stores it)


class TeamLists:
    """The team member lists of one run: each team fetched at most once, shared.

    REUSE_AGE (seconds, or None): a team list that Heroku confirmed less than this long ago is
    used as stored, without a call (an SSO re-fetch: a login waits for no team's pages).
    """

    def __init__(self, *, reuse_age: float | None = None, now: Callable[[], datetime] = None):
        self.reuse_age = reuse_age
        self.now = now or timezone.now
        self._teams: dict[str, _Team] = {}
        self._lock = threading.Lock()
        self.calls = 0  # how many team fetches went to Heroku (for tests and benchmarks)

    def preload(self, team_ids: Iterable[str]) -> None:
        """Load the stored pages of TEAM_IDS not loaded yet (in the writer's thread)."""
        wanted = {t for t in team_ids if t} - set(self._teams)
        if not wanted:
            return
        stored: dict[str, dict[str, StoredResponse]] = {t: {} for t in wanted}
        confirmed: dict[str, datetime] = {}
        rows = TeamResponse.objects.filter(team_id__in=wanted).values_list(
            "team_id", "endpoint", "etag", "body", "status", "next_range", "confirmed_at"
        )
        for team_id, endpoint, etag, body, status, next_range, confirmed_at in rows:
            stored[team_id][endpoint] = StoredResponse(etag, body, status, next_range)
            if team_id not in confirmed or confirmed_at < confirmed[team_id]:
                confirmed[team_id] = confirmed_at
        with self._lock:
            for team_id in wanted:
                self._teams.setdefault(team_id, _Team(stored[team_id], confirmed.get(team_id)))

    def members(self, team_id: str, fetch: FetchMembers) -> list[Person]:
        """Return team TEAM_ID's members: fetched once in this run by FETCH (with the team's
        stored ETags), or as stored when confirmed within REUSE_AGE. A failed fetch is not kept:
        the next resource of the team tries with its own token."""
        with self._lock:
            team = self._teams.setdefault(team_id, _Team({}, None))
        with team.lock:
            if team.people is not None:
                return team.people
            if (people := self._fresh_stored(team_id, team)) is not None:
                team.people = people
                return people
            team.people = fetch(team.cache)
            team.fetched = True
            self.calls += 1
            return team.people

    def _fresh_stored(self, team_id: str, team: _Team) -> list[Person] | None:
        if self.reuse_age is None or team.confirmed_at is None:
            return None
        if self.now() - team.confirmed_at > timedelta(seconds=self.reuse_age):
            return None
        items = stored_items(team.cache.stored, members_path(team_id))
        return None if items is None else team_members_from(items, members_path(team_id))

    def store_changes(self) -> None:
        """Store the teams answered since the last call: new pages, and when Heroku confirmed
        them (in the writer's thread)."""
        with self._lock:
            answered = [(t, team) for t, team in self._teams.items() if team.fetched]
        now = self.now()
        for team_id, team in answered:
            with team.lock:
                changed, unused = dict(team.cache.changed), team.cache.unused()
                team.fetched = False
                team.cache.stored.update(changed)
                team.cache.changed.clear()
            if changed:
                TeamResponse.objects.bulk_create(
                    [
                        TeamResponse(
                            team_id=team_id,
                            endpoint=endpoint,
                            etag=page.etag,
                            status=page.status,
                            next_range=page.next_range,
                            body=page.body,
                            updated_at=now,
                            confirmed_at=now,
                        )
                        for endpoint, page in changed.items()
                    ],
                    update_conflicts=True,
                    unique_fields=["team_id", "endpoint"],
                    update_fields=["etag", "status", "next_range", "body", "updated_at"],
                )
            if unused:
                TeamResponse.objects.filter(team_id=team_id, endpoint__in=unused).delete()
            TeamResponse.objects.filter(team_id=team_id).update(confirmed_at=now)


def stored_items(stored: dict[str, StoredResponse], path: str) -> list | None:
    """Return the items of the list at PATH joined from its STORED pages; None when a page is
    missing or unreadable."""
    items: list = []
    range_header = f"email ..; max={PAGE_SIZE}"
    for _ in range(len(stored) + 1):
        page = stored.get(f"{path} {range_header}")
        if page is None:
            return None
        try:
            payload = json.loads(page.body)
        except ValueError:
            return None
        if not isinstance(payload, list):
            return None
        items.extend(payload)
        if page.status == 200:
            return items
        range_header = page.next_range
    return None
