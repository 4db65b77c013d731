"""What a sync did: the status of each resource, and the report of a whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.utils import timezone

from addons.models import AddonResource, SyncRun


class Status(StrEnum):
    SYNCED = "synced"  # the stored list changed to match Heroku
    UNCHANGED = "unchanged"  # the stored list already matched Heroku
    FAILED = "failed"  # a call failed; the stored list is as it was
    REFUSED = "refused"  # the result looked wrong; the stored list is as it was
    DEPROVISIONED = "deprovisioned"  # Heroku no longer knows the add-on (404)
    SKIPPED = "skipped"  # a live run holds the resource or synced it meanwhile, or it is gone
    PAUSED = "paused"  # removals applied, additions paused by the circuit breaker


# The statuses of a list not brought up to date: failures of the run (`sync_access` exits 1).
FAILURES = frozenset({Status.FAILED, Status.REFUSED, Status.DEPROVISIONED, Status.PAUSED})


@dataclass
class ResourceOutcome:
    """What one sync did to one resource."""

    resource_id: int
    uuid: str
    status: Status
    added: int = 0
    removed: int = 0
    error: str = ""
    # ("+" or "-", email) pairs, kept only by dry runs (a full run would hold every list).
    diff: list[tuple[str, str]] = field(default_factory=list)
    # Of a resource skipped because a live run holds it: {"run", "host", "pid", "claim"}.
    held_by: dict | None = None

    @classmethod
    def of(cls, resource: AddonResource, status: Status, **details) -> ResourceOutcome:
        """Return the outcome STATUS (with DETAILS) of RESOURCE."""
        return cls(resource_id=resource.pk, uuid=str(resource.uuid), status=status, **details)

    @property
    def ok(self) -> bool:
        return self.status in (Status.SYNCED, Status.UNCHANGED)

    @property
    def failed(self) -> bool:
        return self.status in FAILURES


@dataclass
class SyncReport:
    """The outcomes of one sync run and its counts."""

    trigger: str
    dry_run: bool = False
    run: SyncRun | None = None
    outcomes: list[ResourceOutcome] = field(default_factory=list)
    started_at: datetime = field(default_factory=timezone.now)
    finished_at: datetime | None = None
    # The circuit breaker as the run ended: {"tripped" (by this run), "additions_paused_by_run"
    # (the run whose trip paused additions, or None), "lists_compared", "lists_shrunk"}.
    breaker: dict = field(default_factory=dict)
    # Resources this run left for the next one because Heroku's rate-limit pool ran low (it
    # stopped starting new resources; see sync_resources).
    deferred: int = 0

    def _count(self, *statuses: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status in statuses)

    @property
    def synced(self) -> int:
        return self._count(Status.SYNCED, Status.UNCHANGED)

    @property
    def unchanged(self) -> int:
        return self._count(Status.UNCHANGED)

    @property
    def failed(self) -> int:
        return self._count(*FAILURES)

    @property
    def skipped(self) -> int:
        return self._count(Status.SKIPPED)

    @property
    def paused(self) -> int:
        return self._count(Status.PAUSED)

    @property
    def added(self) -> int:
        return sum(outcome.added for outcome in self.outcomes)

    @property
    def removed(self) -> int:
        return sum(outcome.removed for outcome in self.outcomes)

    @property
    def failures(self) -> list[dict]:
        return [
            {"uuid": outcome.uuid, "error": outcome.error}
            for outcome in self.outcomes
            if outcome.failed
        ]

    @property
    def skipped_resources(self) -> list[dict]:
        return [
            {"uuid": outcome.uuid, "reason": outcome.error, "held_by": outcome.held_by}
            for outcome in self.outcomes
            if outcome.status == Status.SKIPPED
        ]

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None

    def as_json(self) -> dict:
        """Return the counts as the `sync_access --json` object of DESIGN.md, and what was
        skipped: `resources` counts the resources this run synced or failed; `skipped` those it
        left to another run, each with who held it; `paused` those whose additions the circuit
        breaker paused (among `failed` and `failures` too: their removals applied, not the rest)."""
        return {
            "resources": self.synced + self.failed,
            "synced": self.synced,
            "failed": self.failed,
            "unchanged": self.unchanged,
            "added": self.added,
            "removed": self.removed,
            "failures": self.failures,
            "skipped": self.skipped,
            "skipped_resources": self.skipped_resources,
            "paused": self.paused,
            "breaker": self.breaker,
            "deferred": self.deferred,
        }
