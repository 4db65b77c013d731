"""`sync_access` processes at once, on a SQLite file and (when DATABASE_URL is PostgreSQL) on
PostgreSQL: no resource synced twice, a resource held by a live run reported with its holder, and
the claims of a killed run free at once."""

import json
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.conf import settings

from addons.heroku.fake import FakeHeroku, World
from tests.sync_processes import KINDS, copy_of, migrated_template, process_env, seed, sync

pytestmark = pytest.mark.slow

RESOURCES = 40
HUNG = 3  # resources whose add-on call hangs in the first run


@pytest.fixture(scope="module", params=KINDS)
def template(request, tmp_path_factory):
    with migrated_template(request.param, tmp_path_factory.mktemp("concurrent")) as location:
        yield request.param, location


@pytest.fixture
def seeded(template, tmp_path):
    """40 resources known to the fake Heroku (latency 50 ms) and to a fresh database.

    Yields (fake, database, env)."""
    world = World.generate(RESOURCES, seed=7, big=0)
    with copy_of(*template, tmp_path) as database, FakeHeroku(world, latency=0.05) as fake:
        env = process_env(database.url, fake.url)
        seed(world, env, tmp_path)
        fake.reset_counters()
        yield fake, database, env


def test_two_concurrent_runs_never_sync_a_resource_twice(seeded):
    fake, _, env = seeded
    # --stale, as cron and the schedule run it: a resource that one run synced is no longer
    # stale for the other, and one being synced is held by the first run's claim.
    command = [sys.executable, "manage.py", "sync_access", "--stale", "--json"]
    processes = [
        subprocess.Popen(
            [*command, "--concurrency", "4"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]

    assert [process.returncode for process in processes] == [0, 0]
    reports = [json.loads(output) for output in outputs]
    assert sum(report["synced"] for report in reports) == RESOURCES
    addon_calls = Counter(path for path in fake.paths() if path.startswith("/addons/"))
    assert len(addon_calls) == RESOURCES and set(addon_calls.values()) == {1}
    pids = [process.pid for process in processes]
    for report, other_pid in zip(reports, reversed(pids), strict=True):
        # What a run skipped it lists, never counts as synced: held by the other run, or
        # synced by it since this one started.
        assert report["skipped"] == len(report["skipped_resources"])
        for skipped in report["skipped_resources"]:
            held_by = skipped["held_by"]
            assert held_by is None or held_by["pid"] == other_pid, skipped


def wait_for(condition, what: str, *, within: float = 60.0) -> None:
    """Wait until CONDITION() holds: an event the test observes, never a guessed delay."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def test_a_live_runs_resources_are_skipped_with_its_name_and_a_killed_runs_taken_at_once(seeded):
    fake, database, env = seeded
    hung = list(fake.world.addons)[:HUNG]
    faults = [fake.inject("timeout", match=f"/addons/{uuid}", delay=600) for uuid in hung]
    first = subprocess.Popen(
        [sys.executable, "manage.py", "sync_access", "--json", "--concurrency", "8"],
        cwd=settings.BASE_DIR,
        env={**env, "HEROKU_API_TIMEOUT": "600"},  # it waits on the hung calls, alive
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The first run has asked for the hung resources and synced every other one: what it
        # still holds is exactly the hung ones.
        wait_for(lambda: all(fault.hits for fault in faults), "the hung calls arrive")
        wait_for(lambda: database.held_claims() == HUNG, "the first run holds only those")
        (claim_id,) = {
            row[0]
            for row in database.execute(
                "SELECT sync_claimed_by FROM addons_addonresource WHERE sync_claimed_by != ''"
            )
        }
        run_id, host, pid = database.sync_run(claim_id)
        assert (host, pid) == (socket.gethostname(), first.pid)

        code, report = sync(env)

        assert code == 0, report  # left to a live run: not a failure
        assert (report["synced"], report["failed"], report["skipped"]) == (
            RESOURCES - HUNG,
            0,
            HUNG,
        )
        held_by = {"run": run_id, "host": host, "pid": pid, "claim": claim_id}
        assert sorted(report["skipped_resources"], key=lambda s: s["uuid"]) == [
            {
                "uuid": uuid,
                "reason": f"held by run {run_id} on {host} (pid {pid})",
                "held_by": held_by,
            }
            for uuid in sorted(hung)
        ]

        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    fake.clear_faults()
    database.wait_until_no_run_lives()
    assert database.held_claims() == HUNG  # claims left behind, their lease far from over

    code, report = sync(env, *[arg for uuid in hung for arg in ("--resource", uuid)])

    assert (code, report["synced"], report["skipped"]) == (0, HUNG, 0), report
    assert database.held_claims() == 0
