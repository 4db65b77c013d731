"""Reconcile each resource's access list with the Heroku Platform API.

Fetch in parallel (SYNC_CONCURRENCY threads that never touch the database: `fetch`), apply in the
calling thread only (one transaction per resource, only changed rows, bulk statements: `apply`).
A list is replaced only from a complete, successful fetch: any failed call leaves it exactly as it
was. Each resource is claimed before it is fetched, so two runs never sync it at once (`claims`).
"""

from __future__ import annotations

import logging
import time
import uuid as uuidlib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from addons.access.apply import apply_batch
from addons.access.claims import claim_lease, claimed_jobs, release_claims, syncable_resources
from addons.access.fetch import fetch_access_list
from addons.access.outcomes import ResourceOutcome, Status, SyncReport
from addons.heroku.client import PlatformClient
from addons.models import AddonResource, SyncRun

logger = logging.getLogger(__name__)

__all__ = ["ResourceOutcome", "Status", "SyncReport", "sync_resource", "sync_resources"]


def sync_resources(
    resources,
    *,
    trigger: str,
    dry_run: bool = False,
    force: bool = False,
    concurrency: int | None = None,
    timeout: float | None = None,
    stdout_progress=None,
) -> SyncReport:
    """Reconcile the access lists of RESOURCES with Heroku and return what happened.

    RESOURCES is a queryset or an iterable of AddonResource; de-provisioned ones are skipped.
    DRY_RUN fetches and compares but writes nothing (no SyncRun either), except OAuth tokens that
    had to be refreshed, since Heroku may have retired the old ones. FORCE applies results that
    look suspicious. TIMEOUT bounds each resource's fetch, in seconds. STDOUT_PROGRESS, a stream,
    gets a progress bar.
    """
    concurrency = concurrency or settings.SYNC_CONCURRENCY
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    queryset = syncable_resources(resources)
    report = SyncReport(trigger=trigger, dry_run=dry_run)
    if not dry_run:
        report.run = SyncRun.objects.create(trigger=trigger, started_at=report.started_at)
    progress = _progress_bar(queryset, stdout_progress)
    client = PlatformClient()
    window = 2 * concurrency
    pending: set[Future] = set()

    def apply_completed(block_until_one: bool) -> None:
        nonlocal pending
        done, pending = wait(
            pending,
            timeout=lease.total_seconds() / 3 if block_until_one else 0,
            return_when=FIRST_COMPLETED,
        )
        renew_claims()
        outcomes = apply_batch(
            [future.result() for future in done], run=report.run, dry_run=dry_run, force=force
        )
        report.outcomes.extend(outcomes)
        if progress is not None:
            progress.update(len(outcomes))
            progress.set_postfix(failed=report.failed, refresh=False)

    claim = None if dry_run else uuidlib.uuid4().hex
    lease = claim_lease()
    renewed_at = time.monotonic()

    def renew_claims() -> None:
        nonlocal renewed_at
        if claim is None or time.monotonic() - renewed_at < lease.total_seconds() / 3:
            return
        renewed_at = time.monotonic()
        try:
            AddonResource.objects.filter(sync_claimed_by=claim).update(
                sync_claimed_until=timezone.now() + lease
            )
        except DatabaseError:
            logger.exception("could not renew the claims of run %s", claim)

    with (
        ThreadPoolExecutor(concurrency, thread_name_prefix="sync-fetch") as fetches,
        ThreadPoolExecutor(concurrency, thread_name_prefix="sync-call") as calls,
    ):
        for job in claimed_jobs(queryset, claim=claim, chunk=2 * window, report=report):
            while len(pending) >= window:
                apply_completed(block_until_one=True)
            pending.add(fetches.submit(fetch_access_list, client, job, calls, timeout))
        while pending:
            apply_completed(block_until_one=True)
    # A resource whose result could not be written still holds this run's claim: release it, so
    # that the next run need not wait for the lease to end.
    release_claims(claim)
    if progress is not None:
        progress.update(report.skipped)
        progress.close()
    report.finished_at = timezone.now()
    if report.run is not None:
        try:
            _record_run(report)
        except DatabaseError:
            logger.exception("could not record sync run %s", report.run.pk)
    logger.info(
        "sync (%s%s): %d synced, %d unchanged, %d failed, %d skipped, +%d -%d",
        trigger,
        ", dry run" if dry_run else "",
        report.synced,
        report.unchanged,
        report.failed,
        report.skipped,
        report.added,
        report.removed,
    )
    return report


def sync_resource(resource: AddonResource, *, trigger: str, timeout: float | None = None):
    """Reconcile one RESOURCE's access list now and return the outcome; reload RESOURCE after.

    Used for an SSO re-fetch with a short TIMEOUT. `outcome.ok` says whether the stored list now
    matches Heroku; `outcome.error` why not.
    """
    report = sync_resources([resource], trigger=trigger, concurrency=1, timeout=timeout)
    resource.refresh_from_db()
    if report.outcomes:
        return report.outcomes[0]
    return ResourceOutcome(
        resource_id=resource.pk,
        uuid=str(resource.uuid),
        status=Status.SKIPPED,
        error="the resource is de-provisioned",
    )


def _record_run(report: SyncReport) -> None:
    run = report.run
    run.finished_at = report.finished_at
    counts = report.as_json()
    for name in ("resources", "synced", "unchanged", "failed", "added", "removed", "failures"):
        setattr(run, name, counts[name])
    run.save(
        update_fields=[
            "finished_at",
            "resources",
            "synced",
            "unchanged",
            "failed",
            "added",
            "removed",
            "failures",
        ]
    )


def _progress_bar(queryset, stream):
    if stream is None:
        return None
    from tqdm import tqdm

    return tqdm(total=queryset.count(), file=stream, unit="resource", dynamic_ncols=True)
