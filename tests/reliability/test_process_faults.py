"""`manage.py sync_access` as a real process: killed with SIGKILL mid-run, and two at once.

Each test runs on a SQLite file and, when DATABASE_URL points at PostgreSQL, on a throwaway
PostgreSQL database too (tests/sync_processes.py). The fake Heroku serves in this process, with
latency.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from addons.heroku.fake import FakeHeroku
from tests.production import BASE_DIR
from tests.reliability.conftest import WORLD_SIZE, light_world, pick
from tests.sync_processes import (
    KINDS,
    FileDatabase,
    copy_of,
    migrated_template,
    process_env,
    seed,
    sync,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=KINDS)
def template(request, tmp_path_factory):
    """A migrated, empty database of each kind to copy: (kind, location)."""
    with migrated_template(request.param, tmp_path_factory.mktemp("reliability")) as location:
        yield request.param, location


@pytest.fixture
def database(template, tmp_path):
    """A fresh copy of the migrated template for one test."""
    with copy_of(*template, tmp_path) as database:
        yield database


@pytest.fixture
def synced_world(database, tmp_path):
    """The fake serving 200 resources, the database holding them, and a clean first sync done.

    Yields (fake, env): ENV runs a process against this database and fake.
    """
    world = light_world(WORLD_SIZE, seed=21)
    with FakeHeroku(world, rate_limit=10**9) as fake:
        env = process_env(database.url, fake.url)
        seed(world, env, tmp_path)
        code, report = sync(env)
        assert (code, report["synced"]) == (0, WORLD_SIZE), report
        fake.reset_counters()
        yield fake, env


def change_truth(world, uuids: list[str]) -> None:
    for uuid in uuids:
        world.add_collaborator(uuid, f"late-{uuid[:8]}@example.com")


def assert_every_list_is_the_truth(database: FileDatabase, world) -> None:
    for uuid, rows in database.lists().items():
        assert {email for email, _, _ in rows} == world.expected_emails(uuid), uuid


def test_a_run_killed_mid_way_leaves_whole_lists_and_blocks_nothing(synced_world, database):
    fake, env = synced_world
    world = fake.world
    uuids = list(world.addons)
    changed = pick(uuids, 100, seed=5)
    change_truth(world, changed)
    before = database.lists()
    fake.latency = 0.03  # a resource takes a few round trips: the kill lands mid-run

    # The killed run's claims hold for the default SYNC_CLAIM_LEASE (120 s), far longer than
    # this test: only its death can free them.
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sync_access", "--json", "--concurrency", "4"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while sum(path.startswith("/addons/") for path in fake.paths()) < 80:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run made too few requests"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL

    after = database.lists()
    reached = [u for u in changed if {e for e, _, _ in after[u]} == world.expected_emails(u)]
    assert 0 < len(reached) < len(changed), "the kill did not land mid-run"
    for uuid in uuids:
        whole = after[uuid] == before[uuid]
        at_truth = {email for email, _, _ in after[uuid]} == world.expected_emails(uuid)
        assert whole or at_truth, f"{uuid}: partly written"
    assert database.held_claims() > 0  # the killed run's claims are left behind, unexpired...
    database.wait_until_no_run_lives()  # ...but its liveness lock is gone with it
    fake.latency = 0.0

    code, report = sync(env)

    assert (code, report["failed"], report["resources"]) == (0, 0, WORLD_SIZE), report
    assert (report["synced"], report["skipped"]) == (WORLD_SIZE, 0)  # none waited for a lease
    assert_every_list_is_the_truth(database, world)
    assert database.held_claims() == 0


def test_two_runs_started_together_sync_each_resource_once(synced_world, database):
    fake, env = synced_world
    world = fake.world
    change_truth(world, pick(list(world.addons), 30, seed=6))
    # Make every list stale, as it is when cron and the schedule fire at the same moment.
    database.execute("UPDATE addons_addonresource SET last_synced_at = '2000-01-01 00:00:00+00:00'")
    fake.latency = 0.01
    fake.reset_counters()

    command = [sys.executable, "manage.py", "sync_access", "--stale", "--json"]
    processes = [
        subprocess.Popen(
            [*command, "--concurrency", "4"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], [e for _, e in outputs]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert sum(report["synced"] for report in reports) == WORLD_SIZE, reports
    assert all(report["failed"] == 0 for report in reports)
    addon_calls = Counter(path for path in fake.paths() if path.startswith("/addons/"))
    assert set(addon_calls) == {f"/addons/{uuid}" for uuid in world.addons}  # none missed
    assert set(addon_calls.values()) == {1}  # none synced twice
    assert_every_list_is_the_truth(database, world)
    assert database.held_claims() == 0
