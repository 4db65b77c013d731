"""`manage.py sync_access` as real processes, against a database of their own.

The database is a temporary SQLite file, or a throwaway PostgreSQL database on the server that
DATABASE_URL names (as tests/smoke does): `migrated_template` migrates one per module and kind,
`copy_of` copies it for each test. The fake Heroku serves in the test's process.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid as uuidlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from addons.access.liveness import ADVISORY_NAMESPACE
from tests.production import BASE_DIR
from tests.smoke.processes import _postgres_url, _server_connection

KINDS = ["sqlite", "postgres"]


class FileDatabase:
    """A database that processes share: its URL, and plain SQL to read what they wrote."""

    def __init__(self, url: str):
        self.url = url
        self.postgres = url.startswith("postgres")

    def execute(self, statement: str, params=()) -> list[tuple]:
        if self.postgres:
            with psycopg.connect(self.url, autocommit=True) as conn:
                cursor = conn.execute(statement, params)
                return cursor.fetchall() if cursor.description else []
        with sqlite3.connect(urlsplit(self.url).path, timeout=20) as conn:
            return conn.execute(statement, params).fetchall()

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

    def sync_run(self, claim_id: str) -> tuple[int, str, int]:
        """Return (id, host, pid) of the SyncRun whose claims carry CLAIM_ID."""
        query = "SELECT id, host, pid FROM addons_syncrun WHERE claim_id = %s"
        if not self.postgres:
            query = query.replace("%s", "?")
        return self.execute(query, [claim_id])[0]

    def live_run_locks(self) -> int:
        """Return how many runs' liveness locks PostgreSQL still holds (0 on SQLite, where the
        kernel releases them with the process, before `wait()` returns)."""
        if not self.postgres:
            return 0
        return self.execute(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND classid::bigint = %s AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            [ADVISORY_NAMESPACE],
        )[0][0]

    def wait_until_no_run_lives(self, *, within: float = 30.0) -> None:
        """Wait until no run holds a liveness lock: PostgreSQL frees a killed client's locks
        when its backend notices the closed connection, a moment after the kill."""
        deadline = time.monotonic() + within
        while self.live_run_locks():
            assert time.monotonic() < deadline, "the killed run's liveness lock was not freed"
            time.sleep(0.02)


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
    """Run `sync_access --json --concurrency 4 ARGS`; return (exit status, its JSON object)."""
    result = manage(env, "sync_access", "--json", "--concurrency", "4", *args)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout.strip().splitlines()[-1])


def seed(world, env: dict, directory: Path) -> None:
    """Create one provisioned resource per resource of WORLD in ENV's database."""
    world_file = directory / "world.json"
    tokens = {grant["resource"]: token for token, grant in world.tokens.items()}
    world_file.write_text(json.dumps([{"uuid": u, "token": tokens[u]} for u in world.addons]))
    result = subprocess.run(
        [sys.executable, "bench/sync_bench.py", "--seed", str(world_file)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@contextmanager
def migrated_template(kind: str, directory: Path) -> Iterator[str]:
    """Yield a migrated, empty database of KIND to copy (a file path or a database name);
    skip the test when KIND is postgres and DATABASE_URL is not PostgreSQL."""
    if kind == "sqlite":
        path = directory / "template.sqlite3"
        result = manage(process_env(f"sqlite:///{path}"), "migrate", "--no-input")
        assert result.returncode == 0, result.stderr
        yield str(path)
        return
    postgres = _postgres_url()
    if postgres is None:
        pytest.skip("set DATABASE_URL to a PostgreSQL server to run this on PostgreSQL")
    name = f"portal_faults_{secrets.token_hex(4)}"
    with _server_connection(postgres) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = urlsplit(postgres)._replace(path=f"/{name}").geturl()
        result = manage(process_env(url), "migrate", "--no-input")
        assert result.returncode == 0, result.stderr
        yield name
    finally:
        _drop(postgres, name)


@contextmanager
def copy_of(kind: str, template: str, directory: Path) -> Iterator[FileDatabase]:
    """Yield a fresh copy of the migrated TEMPLATE of KIND."""
    if kind == "sqlite":
        path = directory / "db.sqlite3"
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
        _drop(postgres, name)


def _drop(postgres: str, name: str) -> None:
    with _server_connection(postgres) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
