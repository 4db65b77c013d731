"""Choose the resources a run syncs, and claim them so that no other run syncs them meanwhile.

Two runs never sync the same resource twice: a run claims a chunk of resources with a
conditional UPDATE of their lease (`sync_claimed_by`, `sync_claimed_until`) just before fetching
them, and releases each one when it writes its result, leaving `sync_claimed_until` at the release
time. A lease lasts SYNC_CLAIM_LEASE seconds and a live run renews its own every third of that,
so the claims of a run that died (SIGKILL, a lost machine) end soon after it. A run claims only
resources whose lease ended before the run started, so a resource that another run synced
meanwhile is not synced again. Plain UPDATEs: SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, models
from django.utils import timezone

from addons.access.fetch import FetchJob
from addons.access.outcomes import ResourceOutcome, Status, SyncReport
from addons.heroku.cache import ResponseCache, StoredResponse
from addons.heroku.client import ResourceCredentials
from addons.models import AddonResource, PlatformResponse

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


def claimed_jobs(queryset, *, claim: str | None, chunk: int, report: SyncReport):
    """Yield a FetchJob for each resource of QUERYSET this run could claim, chunk by chunk.

    Resources another run holds, or released after this run started, are reported as skipped;
    those of a chunk the database refused to claim, as failed. A dry run (CLAIM None) claims
    nothing.
    """
    last_pk = 0
    while True:
        listed = list(
            queryset.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "uuid")[:chunk]
        )
        if not listed:
            return
        pks = [pk for pk, _ in listed]
        last_pk = pks[-1]
        try:
            jobs = _claim_chunk(queryset, pks, claim=claim, report=report)
        except DatabaseError as exc:
            # The database refused the claim (locked, say): fail this chunk's resources, not
            # the run. Any of them claimed already are released at the end of the run.
            logger.exception("could not claim resources %s to %s", pks[0], pks[-1])
            report.outcomes.extend(
                ResourceOutcome(
                    pk, str(uuid), Status.FAILED, error=f"database error: {type(exc).__name__}"
                )
                for pk, uuid in listed
            )
            continue
        yield from jobs


def _claim_chunk(queryset, pks, *, claim: str | None, report: SyncReport) -> list[FetchJob]:
    """Claim the resources PKS of QUERYSET that no other run holds; return their FetchJobs.

    Resources another run holds, or released after this run started, are reported as skipped.
    """
    rows = queryset.filter(pk__in=pks)
    if claim is not None:
        AddonResource.objects.filter(pk__in=pks).filter(
            models.Q(sync_claimed_until__isnull=True)
            | models.Q(sync_claimed_until__lt=report.started_at)
        ).update(sync_claimed_by=claim, sync_claimed_until=timezone.now() + claim_lease())
        # Re-applying the queryset's filters here drops a resource that another run synced
        # between our listing and our claim (it is no longer stale).
        rows = rows.filter(sync_claimed_by=claim)
    resources = list(rows.select_related("addon").order_by("pk"))
    skipped = []
    if len(resources) < len(pks):
        claimed = {resource.pk for resource in resources}
        for pk, uuid in AddonResource.objects.filter(pk__in=pks).values_list("pk", "uuid"):
            if pk not in claimed:
                skipped.append(
                    ResourceOutcome(pk, str(uuid), Status.SKIPPED, error="synced by another run")
                )
    stored = _stored_responses([resource.pk for resource in resources])
    report.outcomes.extend(skipped)
    return [
        FetchJob(
            resource=resource,
            credentials=ResourceCredentials(
                access_token=resource.access_token,
                refresh_token=resource.refresh_token,
                expires_at=resource.token_expires_at,
                client_secret=resource.addon.oauth_client_secret,
            ),
            cache=ResponseCache(stored.pop(resource.pk, {})),
        )
        for resource in resources
    ]


def claim_lease() -> timedelta:
    """Return how long a claim holds unless its run renews it (SYNC_CLAIM_LEASE)."""
    return timedelta(seconds=settings.SYNC_CLAIM_LEASE)


def release_claims(claim: str | None) -> None:
    """Release every resource that CLAIM still holds (a database error only logs)."""
    if claim is None:
        return
    try:
        AddonResource.objects.filter(sync_claimed_by=claim).update(
            sync_claimed_by="", sync_claimed_until=timezone.now()
        )
    except DatabaseError:
        logger.exception("could not release the claims of run %s; their lease will end", claim)


def _stored_responses(resource_ids: list[int]) -> dict[int, dict[str, StoredResponse]]:
    """Return the stored responses of RESOURCE_IDS, by resource and endpoint."""
    stored: dict[int, dict[str, StoredResponse]] = defaultdict(dict)
    rows = PlatformResponse.objects.filter(resource_id__in=resource_ids).values_list(
        "resource_id", "endpoint", "etag", "body", "status", "next_range"
    )
    for resource_id, endpoint, etag, body, status, next_range in rows.iterator():
        stored[resource_id][endpoint] = StoredResponse(etag, body, status, next_range)
    return stored
