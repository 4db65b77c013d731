"""Apply fetched access lists: the one writer, in the calling thread only.

One transaction per batch of results, a savepoint per resource; only changed rows are written,
in bulk statements. A list is replaced only from a complete, successful fetch, and a result that
cannot be true (see `refusal_reason`) is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone

from addons.access.fetch import FetchResult
from addons.access.outcomes import ResourceOutcome, Status
from addons.heroku.cache import ResponseCache
from addons.heroku.client import ResourceCredentials
from addons.models import AccessChange, AccessGrant, AddonResource, PlatformResponse, SyncRun

logger = logging.getLogger(__name__)

# The removal-share check applies only to lists at least this long: removing 2 of 3 is normal.
REMOVAL_CHECK_MIN_LIST = 4


def refusal_reason(result: FetchResult, current_count: int, removals: int) -> str:
    """Return why RESULT looks wrong and must not replace a list of CURRENT_COUNT, or ""."""
    if result.collaborator_count == 0 and not result.app.team_id:
        return "refused: Heroku listed no collaborators for an app without a team"
    share = settings.SYNC_MAX_REMOVAL_SHARE
    if current_count >= REMOVAL_CHECK_MIN_LIST and removals > share * current_count:
        return (
            f"refused: would remove {removals} of {current_count} people "
            f"(more than {share:.0%}); run with --force to apply"
        )
    return ""


def apply_fetch(result: FetchResult, *, run: SyncRun | None, dry_run=False, force=False):
    """Write RESULT for its resource in one transaction and return the outcome."""
    resource = result.job.resource
    now = timezone.now()
    with transaction.atomic():
        tokens = _token_fields(result.job.credentials)
        if result.gone:
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
        if result.error:
            if not dry_run:
                _update_resource(
                    resource,
                    sync_status=AddonResource.SyncStatus.FAILED,
                    sync_error=result.error,
                    **tokens,
                )
            elif tokens:
                _update_resource(resource, release=False, **tokens)
            return ResourceOutcome.of(resource, Status.FAILED, error=result.error)

        if (
            not dry_run
            and result.job.cache.unchanged()
            and resource.sync_status == AddonResource.SyncStatus.OK
        ):
            # Every call answered 304: Heroku's answers are the very ones this list was built
            # from at the last successful sync, so the list is unchanged and need not be read.
            AccessGrant.objects.filter(resource_id=resource.pk).update(confirmed_at=now)
            _update_resource(resource, last_synced_at=now, sync_error="", **tokens)
            return ResourceOutcome.of(resource, Status.UNCHANGED)

        people = result.people
        current = {
            email: (pk, heroku_user_id, sources, role)
            for pk, email, heroku_user_id, sources, role in AccessGrant.objects.filter(
                resource_id=resource.pk
            ).values_list("pk", "email", "heroku_user_id", "sources", "role")
        }
        added = [person for email, person in people.items() if email not in current]
        removed = [(email, row[0]) for email, row in current.items() if email not in people]
        changed = [
            AccessGrant(
                pk=current[email][0],
                heroku_user_id=person.heroku_user_id,
                sources=list(person.sources),
                role=person.role,
            )
            for email, person in people.items()
            if email in current
            and current[email][1:] != (person.heroku_user_id, list(person.sources), person.role)
        ]
        diff = [("+", p.email) for p in added] + [("-", email) for email, _ in removed]
        reason = "" if force else refusal_reason(result, len(current), len(removed))
        if dry_run:
            if tokens:
                _update_resource(resource, release=False, **tokens)
            status = (
                Status.REFUSED if reason else Status.SYNCED if diff or changed else Status.UNCHANGED
            )
            return ResourceOutcome.of(
                resource, status, added=len(added), removed=len(removed), error=reason, diff=diff
            )
        if reason:
            _update_resource(
                resource, sync_status=AddonResource.SyncStatus.REFUSED, sync_error=reason, **tokens
            )
            return ResourceOutcome.of(resource, Status.REFUSED, error=reason)

        if added:
            grant_rows = _RowWriter(
                AccessGrant,
                ["resource", "email", "heroku_user_id", "sources", "role", "created_at"],
                constants={"confirmed_at": now},
            )
            grant_rows.insert(
                (resource.pk, p.email, p.heroku_user_id, list(p.sources), p.role, now)
                for p in added
            )
        if changed:
            AccessGrant.objects.bulk_update(changed, ["heroku_user_id", "sources", "role"])
        if removed:
            AccessGrant.objects.filter(pk__in=[pk for _, pk in removed]).delete()
        if diff:
            change_rows = _RowWriter(
                AccessChange,
                ["email", "change"],
                constants={"resource": resource.pk, "sync_run": run.pk if run else None, "at": now},
            )
            signs = {"+": AccessChange.Change.ADDED, "-": AccessChange.Change.REMOVED}
            change_rows.insert((email, signs[sign]) for sign, email in diff)
        if len(people) > len(added):
            # One statement confirms every kept row: an unchanged list costs one UPDATE, not n.
            AccessGrant.objects.filter(resource_id=resource.pk).update(confirmed_at=now)
        _store_responses(resource, result.job.cache)
        _update_resource(
            resource,
            last_synced_at=now,
            sync_status=AddonResource.SyncStatus.OK,
            sync_error="",
            app_id=result.app.id,
            app_name=result.app.name,
            team_id=result.app.team_id,
            team_name=result.app.team_name,
            **tokens,
        )
    status = Status.SYNCED if diff or changed else Status.UNCHANGED
    return ResourceOutcome.of(resource, status, added=len(added), removed=len(removed))


class _RowWriter:
    """INSERT rows into MODEL's table, many rows a statement, skipping the ORM's per-object work.

    A first sync inserts tens of thousands of AccessGrant and AccessChange rows; building a model
    instance and preparing every field of every row through bulk_create cost more CPU time than
    all the HTTP of the sync. Strings go to the database as they are; any other value goes through
    its field's get_db_prep_save once and is reused (CONSTANTS, timestamps, sources). Rows go in
    multi-row INSERTs as large as the database allows: each statement releases and re-takes the
    GIL, which under 64 fetch threads costs far more than the statement itself.
    """

    def __init__(self, model, fields: list[str], *, constants: dict | None = None):
        self.connection = connections[router.db_for_write(model)]
        meta = model._meta
        self.fields = [meta.get_field(name) for name in fields]
        constants = constants or {}
        constant_fields = [meta.get_field(name) for name in constants]
        self.constants = tuple(
            field.get_db_prep_save(value, self.connection)
            for field, value in zip(constant_fields, constants.values(), strict=True)
        )
        self.all_fields = [*self.fields, *constant_fields]
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in self.all_fields)
        self.head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
        self.row_sql = "(" + ", ".join(["%s"] * len(self.all_fields)) + ")"

    def insert(self, rows: Iterable[tuple]) -> None:
        prepared: dict = {}

        def prepare(index, value):
            if value.__class__ is str or value is None:
                return value
            key = (index, tuple(value) if isinstance(value, list) else value)
            done = prepared.get(key)
            if done is None:
                done = prepared[key] = self.fields[index].get_db_prep_save(value, self.connection)
            return done

        params = [
            (*(prepare(i, value) for i, value in enumerate(row)), *self.constants) for row in rows
        ]
        batch = max(self.connection.ops.bulk_batch_size(self.all_fields, params), 1)
        with self.connection.cursor() as cursor:
            for start in range(0, len(params), batch):
                chunk = params[start : start + batch]
                cursor.execute(
                    self.head + ", ".join([self.row_sql] * len(chunk)),
                    [value for row in chunk for value in row],
                )


def apply_batch(
    results: list[FetchResult], *, run: SyncRun | None, dry_run: bool, force: bool
) -> list[ResourceOutcome]:
    """Apply RESULTS in one transaction, each resource in a savepoint of its own.

    One commit per batch rather than per resource: the writer keeps up with the fetch threads,
    and the batch grows by itself while it is busy (it takes every fetch completed meanwhile).
    A resource whose writes fail rolls back to its savepoint alone; if the commit itself fails,
    every resource of the batch is reported failed, and its stored list is as it was.
    """
    if not results:  # the wait timed out to renew the claims; nothing to write
        return []
    if len(results) == 1:
        return [_apply_safely(results[0], run=run, dry_run=dry_run, force=force)]
    try:
        with transaction.atomic():
            return [
                _apply_safely(result, run=run, dry_run=dry_run, force=force) for result in results
            ]
    except DatabaseError as exc:
        logger.exception("could not commit the access lists of %d resources", len(results))
        error = f"database error: {type(exc).__name__}"
        return [
            ResourceOutcome.of(result.job.resource, Status.FAILED, error=error)
            for result in results
        ]


def _apply_safely(result: FetchResult, *, run, dry_run, force) -> ResourceOutcome:
    """Apply RESULT; a database error fails this resource, not the run."""
    try:
        return apply_fetch(result, run=run, dry_run=dry_run, force=force)
    except DatabaseError as exc:
        resource = result.job.resource
        logger.exception("could not store the access list of %s", resource.uuid)
        return ResourceOutcome.of(
            resource, Status.FAILED, error=f"database error: {type(exc).__name__}"
        )


def _token_fields(credentials: ResourceCredentials) -> dict:
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
