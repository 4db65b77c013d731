"""Apply fetched access lists: the one writer, in the calling thread only.

One transaction per batch of results, a savepoint per resource; only changed rows are written,
in bulk statements. A list is replaced only from a complete, successful fetch, and a result that
cannot be true (see `compare.refusal_reason`) is refused.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from addons.access.compare import AccessDiff, refusal_reason, stored_grants
from addons.access.fetch import FetchResult
from addons.access.outcomes import ResourceOutcome, Status
from addons.access.rows import RowWriter
from addons.heroku.cache import ResponseCache
from addons.heroku.client import ResourceCredentials
from addons.models import AccessChange, AccessGrant, AddonResource, PlatformResponse, SyncRun

logger = logging.getLogger(__name__)

# Applying (the calling thread only) ---------------------------------------------------------


def apply_batch(
    results: list[FetchResult],
    *,
    run: SyncRun | None,
    dry_run: bool,
    pause_additions: bool = False,
) -> list[ResourceOutcome]:
    """Apply RESULTS in one transaction, each resource in a savepoint of its own.

    One commit per batch rather than per resource: the writer keeps up with the fetch threads,
    and the batch grows by itself while it is busy (it takes every fetch completed meanwhile).
    A resource whose writes fail rolls back to its savepoint alone; if the commit itself fails,
    every resource of the batch is reported failed, and its stored list is as it was.
    PAUSE_ADDITIONS (the circuit breaker) writes removals and changes only.
    """
    if not results:  # the wait timed out to renew the claims; nothing to write
        return []
    if len(results) == 1:
        return [_apply_safely(results[0], run=run, dry_run=dry_run, pause=pause_additions)]
    try:
        with transaction.atomic():
            return [
                _apply_safely(result, run=run, dry_run=dry_run, pause=pause_additions)
                for result in results
            ]
    except DatabaseError as exc:
        logger.exception("could not commit the access lists of %d resources", len(results))
        error = f"database error: {type(exc).__name__}"
        return [
            ResourceOutcome.of(result.job.resource, Status.FAILED, error=error)
            for result in results
        ]


def _apply_safely(result: FetchResult, *, run, dry_run, pause) -> ResourceOutcome:
    """Apply RESULT; a database error fails this resource, not the run."""
    try:
        return apply_fetch(result, run=run, dry_run=dry_run, pause_additions=pause)
    except DatabaseError as exc:
        resource = result.job.resource
        logger.exception("could not store the access list of %s", resource.uuid)
        return ResourceOutcome.of(
            resource, Status.FAILED, error=f"database error: {type(exc).__name__}"
        )


def apply_fetch(
    result: FetchResult,
    *,
    run: SyncRun | None,
    dry_run: bool = False,
    pause_additions: bool = False,
) -> ResourceOutcome:
    """Write RESULT for its resource in one transaction and return the outcome.

    PAUSE_ADDITIONS writes the removals and changes of RESULT but none of its additions.
    """
    now = timezone.now()
    with transaction.atomic():
        tokens = _token_fields(result.job.credentials)
        if result.gone:
            return _mark_deprovisioned(result, tokens, now=now, dry_run=dry_run)
        if result.refused:
            return _record_refusal(result, tokens, reason=result.error, dry_run=dry_run)
        if result.error:
            return _record_failure(result, tokens, dry_run=dry_run)
        if not dry_run and _answered_unchanged(result):
            return _confirm_unchanged(result, tokens, now=now)
        if reason := refusal_reason(result):
            return _record_refusal(result, tokens, reason=reason, dry_run=dry_run)
        diff = AccessDiff.between(stored_grants(result.job.resource), result.people)
        if dry_run:
            return _report_diff(result, tokens, diff=diff)
        if pause_additions and diff.added:
            return _write(
                result,
                tokens,
                diff=diff.without_additions(),
                run=run,
                now=now,
                withheld=len(diff.added),
            )
        return _write(result, tokens, diff=diff, run=run, now=now)


def _mark_deprovisioned(
    result: FetchResult, tokens: dict, *, now: datetime, dry_run: bool
) -> ResourceOutcome:
    """Mark the resource de-provisioned: Heroku no longer knows its add-on (404)."""
    resource = result.job.resource
    error = f"{result.error}: the add-on no longer exists on Heroku; marked de-provisioned"
    if not dry_run:
        _update_resource(
            resource,
            state=AddonResource.State.DEPROVISIONED,
            deprovisioned_at=now,
            sync_status=AddonResource.SyncStatus.FAILED,
            sync_error=error,
            **tokens,
        )
    return ResourceOutcome.of(resource, Status.DEPROVISIONED, error=error)


def _record_failure(result: FetchResult, tokens: dict, *, dry_run: bool) -> ResourceOutcome:
    """Record why the fetch failed; the stored list stays exactly as it was."""
    resource = result.job.resource
    if dry_run:
        _keep_refreshed_tokens(resource, tokens)
    else:
        _update_resource(
            resource, sync_status=AddonResource.SyncStatus.FAILED, sync_error=result.error, **tokens
        )
    return ResourceOutcome.of(resource, Status.FAILED, error=result.error)


def _answered_unchanged(result: FetchResult) -> bool:
    """Return whether every call answered 304 for a list whose last sync succeeded."""
    return (
        result.job.cache.unchanged()
        and result.job.resource.sync_status == AddonResource.SyncStatus.OK
    )


def _confirm_unchanged(result: FetchResult, tokens: dict, *, now: datetime) -> ResourceOutcome:
    """Confirm the stored list without reading it, as Heroku's answers did not change."""
    # Every call answered 304: Heroku's answers are the very ones this list was built from at
    # the last successful sync, so the list is unchanged and need not be read.
    resource = result.job.resource
    AccessGrant.objects.filter(resource_id=resource.pk).update(confirmed_at=now)
    _update_resource(resource, last_synced_at=now, sync_error="", **tokens)
    return ResourceOutcome.of(resource, Status.UNCHANGED)


def _report_diff(result: FetchResult, tokens: dict, *, diff: AccessDiff) -> ResourceOutcome:
    """Report what a dry run would change; write no access list."""
    resource = result.job.resource
    _keep_refreshed_tokens(resource, tokens)
    return ResourceOutcome.of(
        resource,
        Status.UNCHANGED if diff.empty else Status.SYNCED,
        added=len(diff.added),
        removed=len(diff.removed),
        diff=diff.signed,
    )


def _record_refusal(
    result: FetchResult, tokens: dict, *, reason: str, dry_run: bool
) -> ResourceOutcome:
    """Record why the result was refused; the stored list stays exactly as it was."""
    resource = result.job.resource
    if dry_run:
        _keep_refreshed_tokens(resource, tokens)
    else:
        _update_resource(
            resource, sync_status=AddonResource.SyncStatus.REFUSED, sync_error=reason, **tokens
        )
    return ResourceOutcome.of(resource, Status.REFUSED, error=reason)


def _write(
    result: FetchResult,
    tokens: dict,
    *,
    diff: AccessDiff,
    run: SyncRun | None,
    now: datetime,
    withheld: int = 0,
) -> ResourceOutcome:
    """Replace the stored list with RESULT's: rows, history, confirmation and stored answers.

    WITHHELD people of RESULT are left out of DIFF (additions the circuit breaker paused): the
    list is marked paused, and the next sync compares it in full, 304s or not.
    """
    resource = result.job.resource
    _write_grants(resource, diff, now=now)
    _write_history(resource, diff, run=run, now=now)
    if len(result.people) > len(diff.added) + withheld:
        # One statement confirms every kept row: an unchanged list costs one UPDATE, not n.
        AccessGrant.objects.filter(resource_id=resource.pk).update(confirmed_at=now)
    _store_responses(resource, result.job.cache)
    status, error = AddonResource.SyncStatus.OK, ""
    if withheld:
        status = AddonResource.SyncStatus.PAUSED
        error = (
            f"additions paused by the circuit breaker: {withheld} people Heroku lists wait "
            "to be added; removals applied"
        )
    _update_resource(
        resource,
        last_synced_at=now,
        sync_status=status,
        sync_error=error,
        app_id=result.app.id,
        app_name=result.app.name,
        team_id=result.app.team_id,
        team_name=result.app.team_name,
        **tokens,
    )
    if withheld:
        return ResourceOutcome.of(
            resource, Status.PAUSED, added=len(diff.added), removed=len(diff.removed), error=error
        )
    outcome = Status.UNCHANGED if diff.empty else Status.SYNCED
    return ResourceOutcome.of(resource, outcome, added=len(diff.added), removed=len(diff.removed))


# Writing ------------------------------------------------------------------------------------


def _write_grants(resource: AddonResource, diff: AccessDiff, *, now: datetime) -> None:
    """Insert, update and delete RESOURCE's grants as DIFF says."""
    if diff.added:
        grant_rows = RowWriter(
            AccessGrant,
            ["resource", "email", "heroku_user_id", "sources", "role", "created_at"],
            constants={"confirmed_at": now},
        )
        grant_rows.insert(
            (resource.pk, p.email, p.heroku_user_id, list(p.sources), p.role, now)
            for p in diff.added
        )
    if diff.changed:
        AccessGrant.objects.bulk_update(diff.changed, ["heroku_user_id", "sources", "role"])
    if diff.removed:
        AccessGrant.objects.filter(pk__in=[pk for _, pk in diff.removed]).delete()


def _write_history(
    resource: AddonResource, diff: AccessDiff, *, run: SyncRun | None, now: datetime
) -> None:
    """Record each addition and removal of DIFF as an AccessChange of RUN."""
    signed = diff.signed
    if not signed:
        return
    change_rows = RowWriter(
        AccessChange,
        ["email", "change"],
        constants={"resource": resource.pk, "sync_run": run.pk if run else None, "at": now},
    )
    signs = {"+": AccessChange.Change.ADDED, "-": AccessChange.Change.REMOVED}
    change_rows.insert((email, signs[sign]) for sign, email in signed)


def _keep_refreshed_tokens(resource: AddonResource, tokens: dict) -> None:
    """Store the tokens a dry run had to refresh (Heroku may have retired the old ones)."""
    # A dry run claims nothing: the claim fields may be another run's, so they are left alone.
    if tokens:
        _update_resource(resource, release=False, **tokens)


def _token_fields(credentials: ResourceCredentials) -> dict:
    """Return the fields of the tokens refreshed during the fetch, to store; {} if none were."""
    tokens = credentials.refreshed
    if tokens is None:
        return {}
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_expires_at": tokens.expires_at,
    }


def _update_resource(resource: AddonResource, *, release=True, **fields) -> None:
    """Write the FIELDS of RESOURCE that differ from its loaded values, in one UPDATE."""
    changes = {name: value for name, value in fields.items() if getattr(resource, name) != value}
    if release and resource.sync_claimed_by:
        changes.update(sync_claimed_by="", sync_claimed_until=timezone.now())
    if changes:
        AddonResource.objects.filter(pk=resource.pk).update(**changes)
        for name, value in changes.items():
            setattr(resource, name, value)


def _store_responses(resource: AddonResource, cache: ResponseCache) -> None:
    """Store what CACHE learnt (new ETags and bodies) and forget endpoints no longer asked for."""
    if cache.changed:
        now = timezone.now()
        PlatformResponse.objects.bulk_create(
            [
                PlatformResponse(
                    resource_id=resource.pk,
                    endpoint=endpoint,
                    etag=stored.etag,
                    status=stored.status,
                    next_range=stored.next_range,
                    body=stored.body,
                    updated_at=now,
                )
                for endpoint, stored in cache.changed.items()
            ],
            update_conflicts=True,
            unique_fields=["resource", "endpoint"],
            update_fields=["etag", "status", "next_range", "body", "updated_at"],
        )
    if unused := cache.unused():
        PlatformResponse.objects.filter(resource_id=resource.pk, endpoint__in=unused).delete()
