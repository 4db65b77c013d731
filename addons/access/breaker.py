"""The fleet-level circuit breaker: pause additions when too many lists shrink at once.

Heroku's complete answers are the truth, so a sync applies their removals at once. But when most
of the lists a run compares shrink in the same few minutes, something fleet-wide is more likely
than a coincidence (an incident at Heroku, a change in its API, a bug here), and what such a
fault could do next is add the wrong people. So the breaker:

- counts the lists a run compares and those that shrank (lost at least one person); the apps of
  one team count as one list, since they share its members: one person leaving a team shrinks
  them all, and that is one change;
- trips when, once at least SYNC_BREAKER_MIN_LISTS have been compared, more than
  SYNC_BREAKER_SHARE of them shrank;
- then pauses additions, in that run from then on and in every run for SYNC_BREAKER_HOLD seconds
  after the trip: removals and changes still apply, so a person removed on Heroku loses access by
  the next sync whatever happens; a list whose additions waited is marked `paused` and is
  completed by the first sync after the hold;
- tells operators at once (`alerts`), and shows in the admin until the hold ends.

A dry run neither trips it nor is paused by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from addons.access.fetch import FetchResult
from addons.access.outcomes import ResourceOutcome, Status
from addons.models import SyncRun

# The outcomes of a complete answer compared with the stored list.
COMPARED = frozenset({Status.SYNCED, Status.UNCHANGED, Status.PAUSED})


def breaker_hold() -> timedelta:
    """Return how long additions stay paused after a trip (SYNC_BREAKER_HOLD)."""
    return timedelta(seconds=settings.SYNC_BREAKER_HOLD)


def open_breaker(now: datetime | None = None) -> SyncRun | None:
    """Return the run whose trip holds the breaker open now, or None when additions flow."""
    since = (now or timezone.now()) - breaker_hold()
    return (
        SyncRun.objects.filter(breaker_tripped_at__gte=since)
        .order_by("-breaker_tripped_at", "-pk")
        .first()
    )


class Breaker:
    """The circuit breaker as one RUN sees it (None for a dry run, which it leaves alone)."""

    def __init__(self, run: SyncRun | None):
        self.run = run
        self.share = settings.SYNC_BREAKER_SHARE
        self.min_lists = settings.SYNC_BREAKER_MIN_LISTS
        self.compared: set[tuple[str, str]] = set()
        self.shrunk: set[tuple[str, str]] = set()
        self.tripped = False
        self.open_by: SyncRun | None = None
        self.refresh()

    @property
    def pauses_additions(self) -> bool:
        return self.open_by is not None

    def refresh(self) -> None:
        """Look again for a trip, by any run, that holds the breaker open (each lease renewal)."""
        if self.run is not None and not self.tripped:
            self.open_by = open_breaker()

    def observe(self, results: Sequence[FetchResult], outcomes: Sequence[ResourceOutcome]) -> bool:
        """Count the lists that OUTCOMES (of RESULTS) compared and shrank; return whether that
        tripped the breaker just now."""
        for result, outcome in zip(results, outcomes, strict=True):
            if outcome.status not in COMPARED or result.app is None:
                continue
            app = result.app
            key = ("team", app.team_id) if app.team_id else ("app", app.id)
            self.compared.add(key)
            if outcome.removed:
                self.shrunk.add(key)
        if self.run is None or self.tripped or not self._implausible():
            return False
        self._trip()
        return True

    def _implausible(self) -> bool:
        compared = len(self.compared)
        return compared >= self.min_lists and len(self.shrunk) > self.share * compared

    def _trip(self) -> None:
        now = timezone.now()
        fields = {
            "breaker_tripped_at": now,
            "lists_compared": len(self.compared),
            "lists_shrunk": len(self.shrunk),
        }
        # At once, not when the run ends: other runs look for it at their next lease renewal.
        SyncRun.objects.filter(pk=self.run.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.run, name, value)
        self.tripped = True
        self.open_by = self.run
