"""Liveness locks: a run's claim ends when its process dies, on SQLite and PostgreSQL alike.

Each test runs against the suite's database (SQLite, or PostgreSQL when DATABASE_URL says so); the
"other process" is a real one, killed with SIGKILL.
"""

import signal
import subprocess
import sys
import textwrap
import time

import pytest
from django.db import connection

from addons.access.claims import ClaimLease
from addons.access.liveness import (
    ADVISORY_NAMESPACE,
    AdvisoryLiveness,
    FileLiveness,
    LivenessUnavailable,
    for_database,
    lock_directory,
)

pytestmark = pytest.mark.django_db


def holder_script(claim_id: str) -> str:
    """Return a program that holds CLAIM_ID's liveness lock as a run would, says "held", and
    waits to be killed."""
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        conninfo = {
            "host": settings["HOST"] or "127.0.0.1",
            "port": settings["PORT"] or 5432,
            "user": settings["USER"],
            "password": settings["PASSWORD"],
            "dbname": settings["NAME"],
        }
        key = AdvisoryLiveness.key_of(claim_id)
        hold = f"""
            import psycopg
            conn = psycopg.connect(**{conninfo!r}, autocommit=True)
            conn.execute("SELECT pg_advisory_lock(%s, %s)", [{ADVISORY_NAMESPACE}, {key}])
        """
    else:
        path = lock_directory(connection.settings_dict["NAME"]) / f"{claim_id}.lock"
        hold = f"""
            import fcntl, os
            os.makedirs({str(path.parent)!r}, exist_ok=True)
            fd = os.open({str(path)!r}, os.O_CREAT | os.O_RDWR)
            fcntl.flock(fd, fcntl.LOCK_EX)
        """
    return textwrap.dedent(hold) + "print('held', flush=True)\nimport time\ntime.sleep(600)\n"


@pytest.fixture
def other_process():
    """Start a process that holds a claim id's liveness lock; yields (claim id, process)."""
    claim_id = ClaimLease().claim_id
    process = subprocess.Popen(
        [sys.executable, "-c", holder_script(claim_id)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "held"  # the lock is taken: go on
        yield claim_id, process
    finally:
        process.kill()
        process.wait()


def dead_soon(liveness, claim_id: str, *, within: float = 10.0) -> bool:
    """Return whether CLAIM_ID's run is seen dead within WITHIN seconds.

    PostgreSQL frees a dead client's lock when its backend notices the closed connection: a
    moment after the kill, not at the same instant. This waits for that event, no longer.
    """
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if liveness.dead_among({claim_id}):
            return True
        time.sleep(0.01)
    return False


def test_the_database_chooses_its_kind_of_liveness_lock():
    expected = AdvisoryLiveness if connection.vendor == "postgresql" else FileLiveness
    assert isinstance(for_database(), expected)


def test_a_run_in_another_process_is_alive_until_it_is_killed(other_process):
    claim_id, process = other_process
    liveness = for_database()
    assert liveness.dead_among({claim_id}) == set()

    process.send_signal(signal.SIGKILL)
    process.wait()

    assert dead_soon(liveness, claim_id)


def test_a_run_that_held_no_lock_is_dead():
    assert for_database().dead_among({"0" * 32}) == {"0" * 32}


def test_a_value_that_is_no_claim_id_has_no_live_run():
    # Never a path outside the lock directory, never a key that fails to parse.
    odd = {"../../etc/passwd", "another-run", "", "Z" * 32}
    assert for_database().dead_among(odd) == odd


def test_a_released_run_is_dead_and_a_held_one_alive():
    lease, other = ClaimLease(), ClaimLease()
    lease.hold()
    other.hold()
    try:
        watcher = for_database()
        assert watcher.dead_among({lease.claim_id, other.claim_id}) == set()
        lease.release()
        assert watcher.dead_among({lease.claim_id, other.claim_id}) == {lease.claim_id}
    finally:
        other.release()


def test_a_lock_of_another_live_run_cannot_be_held_twice(other_process):
    claim_id, _ = other_process
    with pytest.raises(LivenessUnavailable):
        for_database().hold(claim_id)


def test_a_lease_whose_claim_id_is_taken_holds_under_a_new_one(other_process):
    claim_id, _ = other_process
    lease = ClaimLease()
    lease.claim_id = claim_id
    lease.hold()
    try:
        assert lease.claim_id != claim_id
        assert for_database().dead_among({lease.claim_id}) == set()
    finally:
        lease.release()


def test_the_lock_files_of_sqlite_lie_next_to_the_database(tmp_path):
    assert lock_directory(tmp_path / "db.sqlite3") == tmp_path / "db.sqlite3.sync-runs"
    assert lock_directory(":memory:").name.startswith("partner-portal-sync-runs-")
