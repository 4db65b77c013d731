"""Apply fetched access lists: the one writer, in the calling thread only.

One transaction per batch of results, a savepoint per resource; only changed rows are written,
in bulk statements. A list is replaced only from a complete, successful fetch, and a result that
cannot be true (see `refusal_reason`) is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.addresses import normalize_email
from addons.access.fetch import FetchResult
from addons.access.outcomes import ResourceOutcome, Status
from addons.access.rows import RowWriter
from addons.heroku.cache import ResponseCache
from addons.heroku.client import Person, ResourceCredentials
from addons.models import AccessChange, AccessGrant, AddonResource, PlatformResponse, SyncRun

logger = logging.getLogger(__name__)

# Applying (the calling thread only) ---------------------------------------------------------


def apply_batch(
    results: list[FetchResult], *, run: SyncRun | None, dry_run: bool
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
        return [_apply_safely(results[0], run=run, dry_run=dry_run)]
    try:
        with transaction.atomic():
            return [_apply_safely(result, run=run, dry_run=dry_run) for result in results]
    except DatabaseError as exc:
        logger.exception("could not commit the access lists of %d resources", len(results))
        error = f"database error: {type(exc).__name__}"
        return [
            ResourceOutcome.of(result.job.resource, Status.FAILED, error=error)
            for result in results
        ]


def _apply_safely(result: FetchResult, *, run, dry_run) -> ResourceOutcome:
    """Apply RESULT; a database error fails this resource, not the run."""
    try:
        return apply_fetch(result, run=run, dry_run=dry_run)
    except DatabaseError as exc:
        resource = result.job.resource
        logger.exception("could not store the access list of %s", resource.uuid)
        return ResourceOutcome.of(
            resource, Status.FAILED, error=f"database error: {type(exc).__name__}"
        )


def apply_fetch(
    result: FetchResult, *, run: SyncRun | None, dry_run: bool = False
) -> ResourceOutcome:
    """Write RESULT for its resource in one transaction and return the outcome."""
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
        diff = AccessDiff.between(_stored_grants(result.job.resource), result.people)
        if dry_run:
            return _report_diff(result, tokens, diff=diff)
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
    result: FetchResult, tokens: dict, *, diff: AccessDiff, run: SyncRun | None, now: datetime
) -> ResourceOutcome:
    """Replace the stored list with RESULT's: rows, history, confirmation and stored answers."""
    resource = result.job.resource
    _write_grants(resource, diff, now=now)
    _write_history(resource, diff, run=run, now=now)
    if len(result.people) > len(diff.added):
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
    status = Status.UNCHANGED if diff.empty else Status.SYNCED
    return ResourceOutcome.of(resource, status, added=len(diff.added), removed=len(diff.removed))


# Refusing and comparing ---------------------------------------------------------------------


def refusal_reason(result: FetchResult) -> str:
    """Return why RESULT, a complete answer, cannot be the app's true access list; or "".

    Anything else Heroku answers completely is the truth, however many people it removes.
    """
    app = result.app
    if not result.people:
        return f"refused: Heroku listed nobody who may use the app {app.name}"
    if app.team_id and result.member_count == 0:
        return (
            f"refused: Heroku listed no members of the team {app.team_name or app.team_id}, "
            f"which owns the app {app.name}; a team has at least one"
        )
    if not app.team_id and not _owner_listed(result):
        owner = app.owner_email or app.owner_id or "(the answer names none)"
        return (
            f"refused: Heroku listed the collaborators of the personal app {app.name} "
            f"without its owner {owner}"
        )
    return ""


def _owner_listed(result: FetchResult) -> bool:
    """Return whether the owner of RESULT's app is among its people (by email or user id)."""
    owner_email = normalize_email(result.app.owner_email) if result.app.owner_email else ""
    owner_id = result.app.owner_id
    if owner_email and owner_email in result.people:
        return True
    return bool(owner_id) and any(
        person.heroku_user_id == owner_id for person in result.people.values()
    )


class StoredGrant(NamedTuple):
    """One row of a stored access list, as the diff compares it."""

    pk: int
    heroku_user_id: str
    sources: list[str]
    role: str

    def matches(self, person: Person) -> bool:
        """Return whether this row holds PERSON's user id, sources and role."""
        return (self.heroku_user_id, self.sources, self.role) == (
            person.heroku_user_id,
            list(person.sources),
            person.role,
        )


@dataclass(frozen=True)
class AccessDiff:
    """How a fetched access list differs from the stored one."""

    added: list[Person]  # people the stored list lacks
    removed: list[tuple[str, int]]  # (email, grant pk) of stored people no longer listed
    changed: list[AccessGrant]  # kept grants with a new user id, sources or role (unsaved)

    @classmethod
    def between(cls, stored: dict[str, StoredGrant], people: dict[str, Person]) -> AccessDiff:
        """Return the changes that turn the STORED list (by email) into PEOPLE (by email)."""
        return cls(
            added=[person for email, person in people.items() if email not in stored],
            removed=[(email, grant.pk) for email, grant in stored.items() if email not in people],
            changed=[
                AccessGrant(
                    pk=stored[email].pk,
                    heroku_user_id=person.heroku_user_id,
                    sources=list(person.sources),
                    role=person.role,
                )
                for email, person in people.items()
                if email in stored and not stored[email].matches(person)
            ],
        )

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def signed(self) -> list[tuple[str, str]]:
        """Return the additions and removals as ("+" or "-", email) pairs."""
        return [("+", person.email) for person in self.added] + [
            ("-", email) for email, _ in self.removed
        ]


def _stored_grants(resource: AddonResource) -> dict[str, StoredGrant]:
    """Return RESOURCE's stored access list by email."""
    rows = AccessGrant.objects.filter(resource_id=resource.pk).values_list(
        "pk", "email", "heroku_user_id", "sources", "role"
    )
    return {
        email: StoredGrant(pk, heroku_user_id, sources, role)
        for pk, email, heroku_user_id, sources, role in rows
    }


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
