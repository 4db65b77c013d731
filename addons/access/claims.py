"""Choose the resources a run syncs, and claim them so that no other run syncs them meanwhile.

Two runs never sync the same resource twice: a run claims a chunk of resources with a
conditional UPDATE of their claim (`sync_claimed_by`, `sync_claimed_until`) just before fetching
them, and releases each one when it writes its result, leaving `sync_claimed_until` at the release
time. A claim held by another run ends when that run releases it, when that run dies (its
liveness lock is free: see `liveness`, at once), or when its lease runs out (SYNC_CLAIM_LEASE
seconds after the last renewal: a run renews every third of it while it lives, so only a run that
hangs lets its lease run out). A run claims only resources whose last claim ended before the run
started, so a resource that another run synced meanwhile is not synced again. A resource left to
another run is reported as skipped, with who holds it.
"""

from __future__ import annotations

import logging
import time
import uuid as uuidlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, models
from django.utils import timezone

from addons.access.fetch import FetchJob
from addons.access.liveness import LivenessUnavailable, RunLiveness, for_database
from addons.access.outcomes import ResourceOutcome, Status
from addons.access.teams import TeamLists
from addons.heroku.cache import ResponseCache, StoredResponse
from addons.heroku.client import ResourceCredentials
from addons.models import AddonResource, PlatformResponse, SyncRun

logger = logging.getLogger(__name__)


def syncable_resources(resources) -> models.QuerySet:
    """Return the resources of RESOURCES (a queryset or an iterable) that a sync takes.

    A queryset to page through, without the de-provisioned ones.
    """
    if isinstance(resources, models.QuerySet):
        if resources.query.is_sliced:
            resources = AddonResource.objects.filter(
                pk__in=list(resources.values_list("pk", flat=True))
            )
    else:
        resources = AddonResource.objects.filter(pk__in=[resource.pk for resource in resources])
    return resources.exclude(state=AddonResource.State.DEPROVISIONED)


def claim_lease() -> timedelta:
    """Return how long a claim holds unless its run renews it (SYNC_CLAIM_LEASE)."""
    return timedelta(seconds=settings.SYNC_CLAIM_LEASE)


class ClaimLease:
    """One run's claim on the resources it syncs: an id, a liveness lock, a renewed lease.

    `hold` takes the run's liveness lock before anything is claimed; `release` frees the claims
    still held, then the lock. CLOCK (monotonic seconds) says when a renewal is due; the claims
    in the database end at wall-clock times, LENGTH (SYNC_CLAIM_LEASE by default) after each
    claim or renewal. LIVENESS is the database's liveness locks (`liveness.for_database()`).
    """

    def __init__(
        self,
        *,
        length: timedelta | None = None,
        clock: Callable[[], float] = time.monotonic,
        liveness: RunLiveness | None = None,
    ):
        self.claim_id = uuidlib.uuid4().hex
        self.length = claim_lease() if length is None else length
        self._clock = clock
        self._renewed_at = clock()
        self._liveness = liveness

    def __repr__(self):
        return f"ClaimLease({self.claim_id}, {self.length.total_seconds():g} s)"

    @property
    def liveness(self) -> RunLiveness:
        if self._liveness is None:
            self._liveness = for_database()
        return self._liveness

    @property
    def renew_every(self) -> float:
        """Return the seconds between two renewals: a third of the lease."""
        return self.length.total_seconds() / 3

    def hold(self) -> None:
        """Take this run's liveness lock (under a new claim id if a live run has the same key)."""
        for _ in range(5):
            try:
                self.liveness.hold(self.claim_id)
                return
            except LivenessUnavailable:
                self.claim_id = uuidlib.uuid4().hex
        raise LivenessUnavailable("no free liveness lock after 5 claim ids")

    def claim(self, pks: list[int], *, free_before: datetime) -> None:
        """Claim the resources PKS that are free: never claimed, last released before
        FREE_BEFORE, or held by a run that has died."""
        free = models.Q(sync_claimed_until__isnull=True) | models.Q(
            sync_claimed_until__lt=free_before
        )
        claimed = AddonResource.objects.filter(pk__in=pks).filter(free).update(**self._claim())
        if claimed == len(pks):
            return
        held = set(
            AddonResource.objects.filter(pk__in=pks)
            .exclude(sync_claimed_by__in=["", self.claim_id])
            .values_list("sync_claimed_by", flat=True)
        )
        if dead := self.liveness.dead_among(held):
            # Conditional on the dead run's id: of two runs that saw it dead, one takes it.
            AddonResource.objects.filter(pk__in=pks, sync_claimed_by__in=dead).update(
                **self._claim()
            )

    def _claim(self) -> dict:
        return {
            "sync_claimed_by": self.claim_id,
            "sync_claimed_until": timezone.now() + self.length,
        }

    def renew_if_due(self) -> bool:
        """Extend this run's claims once a third of the lease has passed; return whether due."""
        if self._clock() - self._renewed_at < self.renew_every:
            return False
        self._renewed_at = self._clock()
        try:
            AddonResource.objects.filter(sync_claimed_by=self.claim_id).update(
                sync_claimed_until=timezone.now() + self.length
            )
        except DatabaseError:
            logger.exception("could not renew the claims of run %s", self.claim_id)
        return True

    def release(self) -> None:
        """Release every resource this run still holds, then its liveness lock (a database
        error only logs: the claims then end with the liveness lock)."""
        try:
            AddonResource.objects.filter(sync_claimed_by=self.claim_id).update(
                sync_claimed_by="", sync_claimed_until=timezone.now()
            )
        except DatabaseError:
            logger.exception(
                "could not release the claims of run %s; they end with its liveness lock",
                self.claim_id,
            )
        if self._liveness is not None:
            self._liveness.release()


def claimed_jobs(
    queryset: models.QuerySet,
    *,
    lease: ClaimLease | None,
    chunk: int,
    since: datetime,
    record: Callable[[list[ResourceOutcome]], None],
    teams: TeamLists | None = None,
) -> Iterator[FetchJob]:
    """Yield a FetchJob for each resource of QUERYSET this run could claim, chunk by chunk.

    Resources a live run holds, or released after SINCE (when this run started), are passed to
    RECORD as skipped, with who holds them; those of a chunk the database refused to claim, as
    failed. A dry run (LEASE None) claims nothing.
    """
    for listed in _listed_chunks(queryset, chunk):
        try:
            jobs, skipped = _claim_chunk(queryset, listed, lease=lease, since=since, teams=teams)
        except DatabaseError as exc:
            # The database refused the claim (locked, say): fail this chunk's resources, not
            # the run. Any of them claimed already are released at the end of the run.
            logger.exception("could not claim resources %s to %s", listed[0][0], listed[-1][0])
            error = f"database error: {type(exc).__name__}"
            record(
                [ResourceOutcome(pk, str(uuid), Status.FAILED, error=error) for pk, uuid in listed]
            )
            continue
        if skipped:
            record(skipped)
        yield from jobs


def _listed_chunks(queryset: models.QuerySet, size: int) -> Iterator[list[tuple]]:
    """Yield the (pk, uuid) pairs of QUERYSET stalest first (never synced, then the oldest
    lists), SIZE at a time.

    The order is read once, at the start: a run's own writes move what it synced to the end of
    that order, and a run that stops early (the rate limit) leaves the stalest to the next run.
    """
    order = (models.F("last_synced_at").asc(nulls_first=True), "pk")
    listed = list(queryset.order_by(*order).values_list("pk", "uuid").iterator(chunk_size=5000))
    for start in range(0, len(listed), size):
        yield listed[start : start + size]


def _claim_chunk(
    queryset: models.QuerySet,
    listed: list[tuple],
    *,
    lease: ClaimLease | None,
    since: datetime,
    teams: TeamLists | None = None,
) -> tuple[list[FetchJob], list[ResourceOutcome]]:
    """Claim the LISTED resources of QUERYSET that no other run holds; return jobs and skipped."""
    pks = [pk for pk, _ in listed]
    rows = queryset.filter(pk__in=pks)
    if lease is not None:
        lease.claim(pks, free_before=since)
        # Re-applying the queryset's filters here drops a resource that another run synced
        # between our listing and our claim (it is no longer stale).
        rows = rows.filter(sync_claimed_by=lease.claim_id)
    place = {pk: index for index, (pk, _) in enumerate(listed)}  # stalest first, as listed
    resources = sorted(rows.select_related("addon"), key=lambda resource: place[resource.pk])
    claimed = {resource.pk for resource in resources}
    own = lease.claim_id if lease is not None else None
    skipped = _skipped([(pk, uuid) for pk, uuid in listed if pk not in claimed], own=own)
    stored = _stored_responses([resource.pk for resource in resources])
    if teams is not None:
        teams.preload(resource.team_id for resource in resources)
    jobs = [_fetch_job(resource, stored.pop(resource.pk, {}), teams) for resource in resources]
    return jobs, skipped


def _skipped(listed: list[tuple], *, own: str | None) -> list[ResourceOutcome]:
    """Return the outcomes of the LISTED resources left to another run, with who holds each.

    One this run claimed itself (OWN) had been synced by another run since it was listed.
    """
    if not listed:
        return []
    holders = dict(
        AddonResource.objects.filter(pk__in=[pk for pk, _ in listed]).values_list(
            "pk", "sync_claimed_by"
        )
    )
    runs = {
        run.claim_id: run
        for run in SyncRun.objects.filter(claim_id__in=set(holders.values()) - {""}).only(
            "pk", "claim_id", "host", "pid"
        )
    }
    skipped = []
    for pk, uuid in listed:
        claim_id = holders.get(pk, "")
        if not claim_id or claim_id == own:
            skipped.append(
                ResourceOutcome(pk, str(uuid), Status.SKIPPED, error="synced by another run")
            )
            continue
        run = runs.get(claim_id)
        held_by = {
            "run": run.pk if run else None,
            "host": run.host if run else "",
            "pid": run.pid if run else None,
            "claim": claim_id,
        }
        skipped.append(
            ResourceOutcome(
                pk, str(uuid), Status.SKIPPED, error=describe_holder(held_by), held_by=held_by
            )
        )
    return skipped


def describe_holder(held_by: dict) -> str:
    """Return who holds a resource, in words: "held by run 12 on web.1 (pid 345)"."""
    if held_by["run"] is None:
        return f"held by claim {held_by['claim']}"
    where = f" on {held_by['host']}" if held_by["host"] else ""
    pid = f" (pid {held_by['pid']})" if held_by["pid"] else ""
    return f"held by run {held_by['run']}{where}{pid}"


def _fetch_job(
    resource: AddonResource, stored: dict[str, StoredResponse], teams: TeamLists | None = None
) -> FetchJob:
    """Return the FetchJob of RESOURCE (loaded with its add-on) and its STORED responses."""
    return FetchJob(
        resource=resource,
        credentials=ResourceCredentials(
            access_token=resource.access_token,
            refresh_token=resource.refresh_token,
            expires_at=resource.token_expires_at,
            client_secret=resource.addon.oauth_client_secret,
        ),
        cache=ResponseCache(stored),
        teams=teams,
    )


def _stored_responses(resource_ids: list[int]) -> dict[int, dict[str, StoredResponse]]:
    """Return the stored responses of RESOURCE_IDS, by resource and endpoint."""
    stored: dict[int, dict[str, StoredResponse]] = defaultdict(dict)
    rows = PlatformResponse.objects.filter(resource_id__in=resource_ids).values_list(
        "resource_id", "endpoint", "etag", "body", "status", "next_range"
    )
    for resource_id, endpoint, etag, body, status, next_range in rows.iterator():
        stored[resource_id][endpoint] = StoredResponse(etag, body, status, next_range)
    return stored
