"""`sync_access` when the database is locked in the middle of a run.

Another connection takes a lock for part of the run: on SQLite the database's write lock
(BEGIN IMMEDIATE, so every write waits), on PostgreSQL an ACCESS EXCLUSIVE lock on the grants
table. The run's connection is told to wait only 100 ms for a lock, so the resources it meets
while the lock is held fail at once instead of after the production wait.
"""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from django.db import connection

import addons.access.sync
from addons.models import AccessChange, AddonResource, SyncRun
from tests.reliability.conftest import WORLD_SIZE, emails_of, pick, stored_lists, sync_json

pytestmark = pytest.mark.django_db(transaction=True)

LOCK_AT = 60  # the lock is taken before the 60th resource is written
LOCKED_FOR = 20  # and released before the 80th


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


def test_a_database_locked_mid_run_fails_those_resources_and_leaves_every_list_whole(
    matrix, monkeypatch, short_lock_wait
):
    changed = pick(matrix.uuids, 120, seed=3)
    matrix.change_truth(changed, tag="db")
    before = stored_lists()
    locker = Locker()
    applied: list[str] = []
    while_locked: set[str] = set()
    real_apply_batch = addons.access.sync.apply_batch
    locked_at: list[int] = []

    # The writer applies the completed fetches in batches, each in one transaction: the lock is
    # taken and released between batches, never inside the writer's own transaction.
    def apply_with_a_lock_for_a_while(results, **kwargs):
        if not locked_at and len(applied) >= LOCK_AT:
            locker.lock()
            locked_at.append(len(applied))
        uuids = [str(result.job.resource.uuid) for result in results]
        applied.extend(uuids)
        if locker.held:
            while_locked.update(uuids)
        try:
            return real_apply_batch(results, **kwargs)
        finally:
            if locker.held and len(applied) >= locked_at[0] + LOCKED_FOR:
                locker.release()

    monkeypatch.setattr(addons.access.sync, "apply_batch", apply_with_a_lock_for_a_while)
    try:
        code, report = sync_json()
    finally:
        locker.close()

    assert code == 1
    failed = {failure["uuid"] for failure in report["failures"]}
    assert failed, "the lock failed no resource"
    assert failed >= while_locked & set(changed)  # a changed list had to be written: it failed
    assert failed <= while_locked | set(matrix.uuids) - set(applied)
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

    monkeypatch.setattr(addons.access.sync, "apply_batch", real_apply_batch)
    code, report = sync_json()

    assert (code, report["failed"], report["synced"]) == (0, 0, WORLD_SIZE), report
    for uuid, rows in stored_lists().items():
        assert emails_of(rows) == matrix.truth(uuid), uuid
