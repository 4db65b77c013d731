"""`manage.py sync_access` as a real process: killed with SIGKILL mid-run, and two at once.

The processes run against a database of their own, migrated once per module: a temporary SQLite
file, or, when DATABASE_URL is PostgreSQL, a throwaway database (as tests/smoke does), copied from
a migrated template for each test. The fake Heroku serves in this process, with latency.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid as uuidlib
from collections import Counter
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from addons.heroku.fake import FakeHeroku
from tests.production import BASE_DIR
from tests.reliability.conftest import WORLD_SIZE, light_world, pick
from tests.smoke.processes import _postgres_url, _server_connection

pytestmark = pytest.mark.slow

LEASE = 2  # SYNC_CLAIM_LEASE of the killed run, in seconds


class FileDatabase:
    """A database that processes share: its URL, and plain SQL to read what they wrote."""

    def __init__(self, url: str):
        self.url = url
        self.postgres = url.startswith("postgres")

    def execute(self, statement: str) -> list[tuple]:
        if self.postgres:
            with psycopg.connect(self.url, autocommit=True) as conn:
                cursor = conn.execute(statement)
                return cursor.fetchall() if cursor.description else []
        with sqlite3.connect(urlsplit(self.url).path, timeout=20) as conn:
            return conn.execute(statement).fetchall()

    def lists(self) -> dict[str, set[tuple]]:
        """Return every resource's stored list by uuid: {(email, sources, role)}."""
        lists = {
            str(uuidlib.UUID(str(uuid))): set()
            for (uuid,) in self.execute("SELECT uuid FROM addons_addonresource")
        }
        rows = self.execute(
            "SELECT r.uuid, g.email, g.sources, g.role FROM addons_accessgrant g "
            "JOIN addons_addonresource r ON r.id = g.resource_id"
        )
        for uuid, email, sources, role in rows:
            sources = json.loads(sources) if isinstance(sources, str) else sources
            lists[str(uuidlib.UUID(str(uuid)))].add((email, tuple(sources), role))
        return lists

    def held_claims(self) -> int:
        query = "SELECT COUNT(*) FROM addons_addonresource WHERE sync_claimed_by != ''"
        return self.execute(query)[0][0]


def process_env(database_url: str, fake_url: str = "http://127.0.0.1:9", **extra) -> dict:
    return {
        **os.environ,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url,
        "HEROKU_API_URL": fake_url,
        "HEROKU_ID_URL": fake_url,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(BASE_DIR),
        **extra,
    }


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sync(env: dict, *args: str) -> tuple[int, dict]:
    result = manage(env, "sync_access", "--json", "--concurrency", "4", *args)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory):
    """A migrated, empty database to copy: (kind, location)."""
    postgres = _postgres_url()
    if postgres is None:
        path = tmp_path_factory.mktemp("reliability") / "template.sqlite3"
        result = manage(process_env(f"sqlite:///{path}"), "migrate", "--no-input")
        assert result.returncode == 0, result.stderr
        yield "sqlite", str(path)
        return
    name = f"portal_faults_{secrets.token_hex(4)}"
    with _server_connection(postgres) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = urlsplit(postgres)._replace(path=f"/{name}").geturl()
        result = manage(process_env(url), "migrate", "--no-input")
        assert result.returncode == 0, result.stderr
        yield "postgres", name
    finally:
        with _server_connection(postgres) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def database(migrated_template, tmp_path):
    """A fresh copy of the migrated template for one test."""
    kind, template = migrated_template
    if kind == "sqlite":
        path = tmp_path / "db.sqlite3"
        shutil.copy(template, path)
        yield FileDatabase(f"sqlite:///{path}")
        return
    postgres = _postgres_url()
    name = f"{template}_{secrets.token_hex(2)}"
    with _server_connection(postgres) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    try:
        yield FileDatabase(urlsplit(postgres)._replace(path=f"/{name}").geturl())
    finally:
        with _server_connection(postgres) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def synced_world(database, tmp_path):
    """The fake serving 200 resources, the database holding them, and a clean first sync done.

    Yields (fake, env): ENV runs a process against this database and fake.
    """
    world = light_world(WORLD_SIZE, seed=21)
    with FakeHeroku(world, rate_limit=10**9) as fake:
        env = process_env(database.url, fake.url)
        world_file = tmp_path / "world.json"
        tokens = {grant["resource"]: token for token, grant in world.tokens.items()}
        world_file.write_text(json.dumps([{"uuid": u, "token": tokens[u]} for u in world.addons]))
        seed = subprocess.run(
            [sys.executable, "bench/sync_bench.py", "--seed", str(world_file)],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        assert seed.returncode == 0, seed.stderr
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


def test_a_run_killed_mid_way_leaves_whole_lists_and_the_next_run_completes(synced_world, database):
    fake, env = synced_world
    world = fake.world
    uuids = list(world.addons)
    changed = pick(uuids, 100, seed=5)
    change_truth(world, changed)
    before = database.lists()
    fake.latency = 0.03  # a resource takes a few round trips: the kill lands mid-run

    process = subprocess.Popen(
        [sys.executable, "manage.py", "sync_access", "--json", "--concurrency", "4"],
        cwd=BASE_DIR,
        env={**env, "SYNC_CLAIM_LEASE": str(LEASE)},
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
    killed_at = time.monotonic()
    assert process.returncode == -signal.SIGKILL

    after = database.lists()
    reached = [u for u in changed if {e for e, _, _ in after[u]} == world.expected_emails(u)]
    assert 0 < len(reached) < len(changed), "the kill did not land mid-run"
    for uuid in uuids:
        whole = after[uuid] == before[uuid]
        at_truth = {email for email, _, _ in after[uuid]} == world.expected_emails(uuid)
        assert whole or at_truth, f"{uuid}: partly written"
    assert database.held_claims() > 0  # the killed run's claims are left behind...

    time.sleep(max(0.0, killed_at + LEASE + 0.5 - time.monotonic()))  # ...until its lease ends
    fake.latency = 0.0
    code, report = sync(env)

    assert (code, report["failed"], report["resources"]) == (0, 0, WORLD_SIZE), report
    assert report["synced"] == WORLD_SIZE  # none skipped as "synced by another run"
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
