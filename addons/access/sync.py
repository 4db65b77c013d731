"""Reconcile each resource's access list with the Heroku Platform API.

Fetch in parallel (SYNC_CONCURRENCY threads that never touch the database: `fetch`), apply in the
calling thread only (one transaction per resource, only changed rows, bulk statements: `apply`).
A list is replaced only from a complete, successful fetch: any failed call leaves it exactly as it
was. Each resource is claimed before it is fetched, so two runs never sync it at once (`claims`);
a claim ends when its run ends or dies (`liveness`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from addons.access.alerts import alert_breaker_tripped
from addons.access.apply import apply_batch
from addons.access.breaker import Breaker
from addons.access.claims import ClaimLease, claimed_jobs, syncable_resources
from addons.access.fetch import FetchWindow
from addons.access.outcomes import ResourceOutcome, Status, SyncReport
from addons.access.teams import TeamLists
from addons.heroku.client import PlatformClient
from addons.models import AddonResource, SyncRun

logger = logging.getLogger(__name__)

__all__ = ["ResourceOutcome", "Status", "SyncReport", "sync_resource", "sync_resources"]


def sync_resources(
    resources,
    *,
    trigger: str,
    dry_run: bool = False,
    concurrency: int | None = None,
    timeout: float | None = None,
    on_outcome: Callable[[ResourceOutcome], None] | None = None,
    team_reuse_age: float | None = None,
) -> SyncReport:
    """Reconcile the access lists of RESOURCES with Heroku and return what happened.

    RESOURCES is a queryset or an iterable of AddonResource; de-provisioned ones are skipped.
    DRY_RUN fetches and compares but writes nothing (no SyncRun either), except OAuth tokens that
    had to be refreshed, since Heroku may have retired the old ones. TIMEOUT bounds each
    resource's fetch, in seconds. ON_OUTCOME, if given, is called with each resource's outcome as
    soon as it is written (skipped resources included), in the calling thread: a command draws
    its progress bar with it. Resources are taken stalest first; when Heroku's RateLimit-Remaining
    falls below SYNC_RATE_LIMIT_RESERVE, no new resource is started and the rest are counted as
    `deferred` for the next run. Each team's members are fetched once and shared by its resources;
    a team list that Heroku confirmed less than TEAM_REUSE_AGE seconds ago is used as stored.
    """
    concurrency = concurrency or settings.SYNC_CONCURRENCY
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    queryset = syncable_resources(resources)
    run = _Run(trigger=trigger, dry_run=dry_run, on_outcome=on_outcome)
    run.teams = TeamLists(reuse_age=team_reuse_age)
    try:
        client = PlatformClient()
        with FetchWindow(client, concurrency=concurrency, fetch_timeout=timeout) as window:
            jobs = claimed_jobs(
                queryset,
                lease=run.lease,
                chunk=2 * window.size,
                since=run.report.started_at,
                record=run.record,
                teams=run.teams,
            )
            for job in jobs:
                while window.full():
                    run.apply_completed(window)
                if client.pacer.below(settings.SYNC_RATE_LIMIT_RESERVE):
                    # Heroku's pool is low: start no new resource (those under way finish). The
                    # claims of the rest end with the run, and the next run takes them first,
                    # as they are now the stalest.
                    run.report.deferred = _not_synced_since(queryset, run) - len(window)
                    break
                window.submit(job)
            while window:
                run.apply_completed(window)
    finally:
        run.finish()
    return run.report


def sync_resource(
    resource: AddonResource, *, trigger: str, timeout: float | None = None
) -> ResourceOutcome:
    """Reconcile one RESOURCE's access list now and return the outcome; reload RESOURCE after.

    Used for an SSO re-fetch with a short TIMEOUT (which reuses a team member list that Heroku
    confirmed within TEAM_LIST_REUSE_AGE seconds rather than wait for its pages). `outcome.ok`
    says whether the stored list now matches Heroku; `outcome.error` why not.
    """
    reuse = settings.TEAM_LIST_REUSE_AGE if trigger == SyncRun.Trigger.SSO else None
    report = sync_resources(
        [resource], trigger=trigger, concurrency=1, timeout=timeout, team_reuse_age=reuse
    )
    resource.refresh_from_db()
    if report.outcomes:
        return report.outcomes[0]
    return ResourceOutcome.of(resource, Status.SKIPPED, error="the resource is de-provisioned")


class _Run:
    """One sync run under way: its report, its claim lease (none for a dry run), its writer."""

    def __init__(
        self,
        *,
        trigger: str,
        dry_run: bool,
        on_outcome: Callable[[ResourceOutcome], None] | None,
    ):
        self.report = SyncReport(trigger=trigger, dry_run=dry_run)
        self.on_outcome = on_outcome
        self.teams = TeamLists()  # sync_resources sets the run's own
        self.lease = None
        if dry_run:
            self.breaker = Breaker(None)
            return
        self.lease = ClaimLease()
        self.lease.hold()  # before anything is claimed: see addons.access.liveness
        try:
            self.report.run = SyncRun.objects.create(
                trigger=trigger,
                started_at=self.report.started_at,
                claim_id=self.lease.claim_id,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
            )
            self.breaker = Breaker(self.report.run)
        except BaseException:
            self.lease.release()
            raise

    def record(self, outcomes: Iterable[ResourceOutcome]) -> None:
        """Add OUTCOMES to the report and pass each one to on_outcome."""
        for outcome in outcomes:
            self.report.outcomes.append(outcome)
            if self.on_outcome is not None:
                self.on_outcome(outcome)

    def apply_completed(self, window: FetchWindow) -> None:
        """Wait for a fetch to complete (or the lease to fall due), renew, write what came."""
        # A dry run holds no lease: it waits for a fetch however long that takes.
        results = window.completed(timeout=self.lease.renew_every if self.lease else None)
        if self.lease is not None and self.lease.renew_if_due():
            self.breaker.refresh()  # another run may have tripped it meanwhile
        if not self.report.dry_run:
            self.store_team_lists()
        outcomes = apply_batch(
            results,
            run=self.report.run,
            dry_run=self.report.dry_run,
            pause_additions=self.breaker.pauses_additions,
        )
        if self.breaker.observe(results, outcomes):
            self.alert_breaker_tripped()
        self.record(outcomes)

    def store_team_lists(self) -> None:
        """Store the team member pages answered so far (a database error only logs: they are
        ETags and bodies to ask with next time, and the next run asks without them)."""
        try:
            with transaction.atomic():
                self.teams.store_changes()
        except DatabaseError:
            logger.exception("could not store the team member lists of this run")

    def alert_breaker_tripped(self) -> None:
        """Tell operators that this run tripped the breaker (a failure to do so only logs)."""
        run = self.report.run
        logger.warning(
            "sync run %s tripped the circuit breaker: %d of %d lists shrank; additions paused",
            run.pk,
            run.lists_shrunk,
            run.lists_compared,
        )
        try:
            alert_breaker_tripped(run=run)
        except Exception:
            logger.exception("could not e-mail operators that run %s tripped the breaker", run.pk)

    def finish(self) -> None:
        """Release the claims still held, then record the run's counts and log them."""
        if self.lease is not None:
            # A resource whose result could not be written still holds this run's claim:
            # release it, so that the next run need not wait for the lease to end.
            self.lease.release()
        report = self.report
        report.finished_at = timezone.now()
        report.breaker = {
            "tripped": self.breaker.tripped,
            "additions_paused_by_run": self.breaker.open_by.pk if self.breaker.open_by else None,
            "lists_compared": len(self.breaker.compared),
            "lists_shrunk": len(self.breaker.shrunk),
        }
        if report.run is not None:
            try:
                _record_run(report)
            except DatabaseError:
                logger.exception("could not record sync run %s", report.run.pk)
        _log_report(report)


def _not_synced_since(queryset, run: _Run) -> int:
    """Return how many resources of QUERYSET no run has synced since RUN started."""
    started = run.report.started_at
    return queryset.exclude(last_synced_at__gte=started).count()


def _record_run(report: SyncReport) -> None:
    """Write REPORT's end and counts to its SyncRun."""
    run = report.run
    run.finished_at = report.finished_at
    counts = report.as_json()
    fields = [
        "resources",
        "synced",
        "unchanged",
        "failed",
        "added",
        "removed",
        "failures",
        "skipped",
        "skipped_resources",
        "paused",
    ]
    for name in fields:
        setattr(run, name, counts[name])
    run.lists_compared = report.breaker["lists_compared"]
    run.lists_shrunk = report.breaker["lists_shrunk"]
    fields += ["lists_compared", "lists_shrunk"]
    run.save(update_fields=["finished_at", *fields])


def _log_report(report: SyncReport) -> None:
    """Log REPORT's counts in one line."""
    if report.deferred:
        logger.warning(
            "sync (%s): Heroku's rate limit is low; %d resources left for the next run",
            report.trigger,
            report.deferred,
        )
    logger.info(
        "sync (%s%s): %d synced, %d unchanged, %d failed, %d skipped, %d paused, +%d -%d",
        report.trigger,
        ", dry run" if report.dry_run else "",
        report.synced,
        report.unchanged,
        report.failed,
        report.skipped,
        report.paused,
        report.added,
        report.removed,
    )
