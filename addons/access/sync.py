"""Reconcile each resource's access list with the Heroku Platform API.

Fetch in parallel (SYNC_CONCURRENCY threads that never touch the database), apply in the calling
thread only (one transaction per resource, only changed rows, bulk statements). A list is replaced
only from a complete, successful fetch: any failed call leaves it exactly as it was.

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
import time
import uuid as uuidlib
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import DatabaseError, connections, models, router, transaction
from django.utils import timezone

from addons.heroku.cache import ResponseCache, StoredResponse
from addons.heroku.client import (
    COLLABORATOR,
    TEAM_MEMBER,
    AddonInfo,
    AppInfo,
    Person,
    PlatformClient,
    ResourceCredentials,
)
from addons.heroku.errors import AddonGone, HerokuAPIError
from addons.models import AccessChange, AccessGrant, AddonResource, PlatformResponse, SyncRun

logger = logging.getLogger(__name__)

# The removal-share check applies only to lists at least this long: removing 2 of 3 is normal.
REMOVAL_CHECK_MIN_LIST = 4
SOURCES = (COLLABORATOR, TEAM_MEMBER)
ROLE_RANK = {"owner": 5, "admin": 4, "member": 3, "collaborator": 2, "viewer": 1}


class Status(StrEnum):
    SYNCED = "synced"  # the stored list changed to match Heroku
    UNCHANGED = "unchanged"  # the stored list already matched Heroku
    FAILED = "failed"  # a call failed; the stored list is as it was
    REFUSED = "refused"  # the result looked wrong; the stored list is as it was
    DEPROVISIONED = "deprovisioned"  # Heroku no longer knows the add-on (404)
    SKIPPED = "skipped"  # another run holds the resource, or it is de-provisioned


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

    @property
    def ok(self) -> bool:
        return self.status in (Status.SYNCED, Status.UNCHANGED)


@dataclass
class SyncReport:
    """The outcomes of one sync run and its counts."""

    trigger: str
    dry_run: bool = False
    run: SyncRun | None = None
    outcomes: list[ResourceOutcome] = field(default_factory=list)
    started_at: datetime = field(default_factory=timezone.now)
    finished_at: datetime | None = None

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
        return self._count(Status.FAILED, Status.REFUSED, Status.DEPROVISIONED)

    @property
    def skipped(self) -> int:
        return self._count(Status.SKIPPED)

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
            if outcome.status in (Status.FAILED, Status.REFUSED, Status.DEPROVISIONED)
        ]

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None

    def as_json(self) -> dict:
        """Return the counts as the `sync_access --json` object of DESIGN.md."""
        return {
            "resources": self.synced + self.failed,
            "synced": self.synced,
            "failed": self.failed,
            "unchanged": self.unchanged,
            "added": self.added,
            "removed": self.removed,
            "failures": self.failures,
        }


@dataclass
class FetchJob:
    """One resource to fetch, with everything the fetch thread needs (no database access)."""

    resource: AddonResource
    credentials: ResourceCredentials
    cache: ResponseCache


@dataclass
class FetchResult:
    """What was fetched for one resource: its people, or the error that stopped the fetch."""

    job: FetchJob
    addon: AddonInfo | None = None
    app: AppInfo | None = None
    collaborator_count: int = 0
    people: dict[str, Person] | None = None
    error: str = ""
    gone: bool = False


# Public services ----------------------------------------------------------------------------


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
    queryset = _as_queryset(resources)
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
        outcomes = _apply_batch(
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
        for job in _claimed_jobs(queryset, claim=claim, chunk=2 * window, report=report):
            while len(pending) >= window:
                apply_completed(block_until_one=True)
            pending.add(fetches.submit(fetch_access_list, client, job, calls, timeout))
        while pending:
            apply_completed(block_until_one=True)
    # A resource whose result could not be written still holds this run's claim: release it, so
    # that the next run need not wait for the lease to end.
    _release_claims(claim)
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


# Fetching (worker threads: HTTP only, never the database) -----------------------------------


def fetch_access_list(
    client: PlatformClient,
    job: FetchJob,
    calls: ThreadPoolExecutor | None = None,
    timeout: float | None = None,
) -> FetchResult:
    """Fetch who may use JOB's resource: add-on, then collaborators and app, then team members."""
    credentials = job.credentials
    if not credentials.access_token:
        return FetchResult(
            job, error="no OAuth access token: the provisioning grant was not exchanged"
        )
    deadline = client.clock() + timeout if timeout else None
    call = {"credentials": credentials, "cache": job.cache, "deadline": deadline}
    try:
        client.refresh_if_expiring(credentials)
        addon = client.fetch_addon(job.resource.uuid, **call)
        if calls is None:
            app = client.fetch_app(addon.app_id, **call)
            collaborators = client.fetch_collaborators(addon.app_id, **call)
        else:
            app_future = calls.submit(client.fetch_app, addon.app_id, **call)
            try:
                collaborators = client.fetch_collaborators(addon.app_id, **call)
            finally:
                wait([app_future])  # never leave a call of this resource running behind us
            app = app_future.result()
        members = client.fetch_team_members(app.team_id, **call) if app.team_id else []
    except AddonGone as exc:
        return FetchResult(job, gone=True, error=str(exc))
    except HerokuAPIError as exc:
        return FetchResult(job, error=str(exc))
    except Exception as exc:  # a bug must cost one resource this run, never the run
        logger.exception("unexpected error fetching the access list of %s", job.resource.uuid)
        return FetchResult(job, error=f"unexpected error: {type(exc).__name__}")
    return FetchResult(
        job,
        addon=addon,
        app=app,
        collaborator_count=len(collaborators),
        people=merge_people([*collaborators, *members]),
    )


def merge_people(people: Iterable[Person]) -> dict[str, Person]:
    """Return PEOPLE united by lower-cased email, each with every source and the highest role."""
    merged: dict[str, Person] = {}
    for person in people:
        email = person.email.strip().lower()
        seen = merged.get(email)
        if seen is None:
            merged[email] = Person(email, person.heroku_user_id, person.sources, person.role)
            continue
        sources = tuple(s for s in SOURCES if s in seen.sources or s in person.sources)
        role = max(seen.role, person.role, key=lambda role: ROLE_RANK.get(role, 0))
        merged[email] = Person(email, seen.heroku_user_id or person.heroku_user_id, sources, role)
    return merged


# Applying (the calling thread only) ---------------------------------------------------------


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
            return _outcome(resource, Status.DEPROVISIONED, error=error)
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
            return _outcome(resource, Status.FAILED, error=result.error)

        if (
            not dry_run
            and result.job.cache.unchanged()
            and resource.sync_status == AddonResource.SyncStatus.OK
        ):
            # Every call answered 304: Heroku's answers are the very ones this list was built
            # from at the last successful sync, so the list is unchanged and need not be read.
            AccessGrant.objects.filter(resource_id=resource.pk).update(confirmed_at=now)
            _update_resource(resource, last_synced_at=now, sync_error="", **tokens)
            return _outcome(resource, Status.UNCHANGED)

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
            return _outcome(
                resource, status, added=len(added), removed=len(removed), error=reason, diff=diff
            )
        if reason:
            _update_resource(
                resource, sync_status=AddonResource.SyncStatus.REFUSED, sync_error=reason, **tokens
            )
            return _outcome(resource, Status.REFUSED, error=reason)

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
    return _outcome(resource, status, added=len(added), removed=len(removed))


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


def _apply_batch(results: list[FetchResult], *, run, dry_run, force) -> list[ResourceOutcome]:
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
        return [_outcome(result.job.resource, Status.FAILED, error=error) for result in results]


def _apply_safely(result: FetchResult, *, run, dry_run, force) -> ResourceOutcome:
    """Apply RESULT; a database error fails this resource, not the run."""
    try:
        return apply_fetch(result, run=run, dry_run=dry_run, force=force)
    except DatabaseError as exc:
        resource = result.job.resource
        logger.exception("could not store the access list of %s", resource.uuid)
        return _outcome(resource, Status.FAILED, error=f"database error: {type(exc).__name__}")


def _outcome(resource, status, **kwargs) -> ResourceOutcome:
    return ResourceOutcome(
        resource_id=resource.pk, uuid=str(resource.uuid), status=status, **kwargs
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


# Choosing and claiming resources ------------------------------------------------------------


def _as_queryset(resources) -> models.QuerySet:
    """Return RESOURCES (a queryset or an iterable of resources) as a queryset to page through."""
    if isinstance(resources, models.QuerySet):
        if resources.query.is_sliced:
            resources = AddonResource.objects.filter(
                pk__in=list(resources.values_list("pk", flat=True))
            )
    else:
        resources = AddonResource.objects.filter(pk__in=[resource.pk for resource in resources])
    return resources.exclude(state=AddonResource.State.DEPROVISIONED)


def _claimed_jobs(queryset, *, claim: str | None, chunk: int, report: SyncReport):
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


def _release_claims(claim: str | None) -> None:
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


def _progress_bar(queryset, stream):
    if stream is None:
        return None
    from tqdm import tqdm

    return tqdm(total=queryset.count(), file=stream, unit="resource", dynamic_ncols=True)
