"""`sync_access` when the database is locked in the middle of a run.

Another connection takes a lock for part of the run: on SQLite the database's write lock
(BEGIN IMMEDIATE, so every write waits), on PostgreSQL an ACCESS EXCLUSIVE lock on the grants
table. The run's connection is told to wait only 100 ms for a lock, so the resources it meets
while the lock is held fail at once instead of after the production wait. The lock is taken and
released where the run meets the database, between two of its statements (Django's
`connection.execute_wrapper`), as the run reports its progress (`on_outcome`).
"""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from django.db import connection

from addons.access.sync import sync_resources
from addons.models import AccessChange, AddonResource, SyncRun
from tests.reliability.conftest import WORLD_SIZE, emails_of, pick, stored_lists, sync_json

pytestmark = pytest.mark.django_db(transaction=True)

LOCK_AT = 60  # the lock is taken once 60 resources are written (before the next statement)
LOCKED_FOR = 20  # and released once 20 more have been reported


class Locker:
    """A second connection to the test database that holds a lock until released."""

    def __init__(self):
        settings_dict = connection.settings_dict
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.conn = sqlite3.connect(settings_dict["NAME"], isolation_level=None)
        else:
            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            self.conn = psycopg.connect(**params, autocommit=True)
        self.held = False

    def lock(self):
        if self.vendor == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute("BEGIN")
            self.conn.execute("LOCK TABLE addons_accessgrant IN ACCESS EXCLUSIVE MODE")
        self.held = True

    def release(self):
        if self.held:
            self.conn.execute("ROLLBACK")
            self.held = False

    def close(self):
        self.release()
        self.conn.close()


@pytest.fixture
def short_lock_wait():
    """Make the run's connection give up on a lock after 100 ms."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 100")
        else:
            cursor.execute("SET lock_timeout = '100ms'")


class MidRunLock:
    """Hold a Locker's lock over part of a sync run, taken and released between two statements.

    The run reports each outcome through sync_resources' `on_outcome`, in the writer's thread,
    right after its batch was written. Once LOCK_AT outcomes are in, the lock is taken before the
    run's next statement (so never in the middle of a batch); once LOCKED_FOR more are in, it is
    released before the next statement again. The outcomes reported while it is held are thus
    exactly those of the resources the run wrote, or tried to claim, under the lock.
    """

    def __init__(self, locker: Locker):
        self.locker = locker
        self.reported = 0
        self.locked_at: int | None = None
        self.release_due = False
        self.while_locked: set[str] = set()

    def on_outcome(self, outcome) -> None:
        self.reported += 1
        if self.locker.held:
            self.while_locked.add(outcome.uuid)
            self.release_due = self.reported >= self.locked_at + LOCKED_FOR

    def before_each_statement(self, execute, sql, params, many, context):
        if self.locked_at is None and self.reported >= LOCK_AT:
            self.locker.lock()
            self.locked_at = self.reported
        elif self.release_due and self.locker.held:
            self.locker.release()
        return execute(sql, params, many, context)


def test_a_database_locked_mid_run_fails_those_resources_and_leaves_every_list_whole(
    matrix, short_lock_wait
):
    changed = pick(matrix.uuids, 120, seed=3)
    matrix.change_truth(changed, tag="db")
    before = stored_lists()
    lock = MidRunLock(Locker())

    try:
        with connection.execute_wrapper(lock.before_each_statement):
            # In-process, to follow the run's outcomes; sync_access prints this report.
            sync_report = sync_resources(
                AddonResource.objects.all(),
                trigger=SyncRun.Trigger.CRON,
                on_outcome=lock.on_outcome,
            )
    finally:
        lock.locker.close()

    report = sync_report.as_json()
    assert len(lock.while_locked) >= LOCKED_FOR, lock.while_locked
    assert not sync_report.ok  # what makes sync_access exit 1
    failed = {failure["uuid"] for failure in report["failures"]}
    assert failed, "the lock failed no resource"
    assert failed >= lock.while_locked & set(changed)  # a changed list had to be written: it failed
    assert failed <= lock.while_locked  # and nothing failed that did not meet the lock
    assert all("database error" in failure["error"] for failure in report["failures"])
    assert report["synced"] + report["failed"] == WORLD_SIZE
    after = stored_lists()
    for uuid in matrix.uuids:
        if uuid in failed:
            assert after[uuid] == before[uuid], f"{uuid}: partly written"
        else:
            assert emails_of(after[uuid]) == matrix.truth(uuid), uuid
    run = SyncRun.objects.order_by("-started_at").first()
    assert {failure["uuid"] for failure in run.failures} == failed
    assert not AccessChange.objects.filter(sync_run=run, resource__uuid__in=failed).exists()
    assert not AddonResource.objects.exclude(sync_claimed_by="").exists()  # no claim left held

    code, report = sync_json()

    assert (code, report["failed"], report["synced"]) == (0, 0, WORLD_SIZE), report
    for uuid, rows in stored_lists().items():
        assert emails_of(rows) == matrix.truth(uuid), uuid
