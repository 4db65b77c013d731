"""Fixtures for the fault matrix: a world of 200 resources that the fake Heroku and the database
both know, synced once cleanly, and helpers to read and compare every stored access list.

A stored list is compared as a set of (email, sources, role): what the portal decides with.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import random
import time
import uuid as uuidlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from accounts.models import Company
from addons.heroku.client import PlatformClient
from addons.heroku.fake import FakeHeroku, World
from addons.models import AccessChange, AccessGrant, Addon, AddonResource, Plan, SyncRun

WORLD_SIZE = 200
CLIENT_SECRET = "reliability-client-secret"
# Resource 0 is a team app with this many members: two pages of the fake's 1000.
BIG_LIST = 1100

Row = tuple[str, tuple[str, ...], str]


def sync_json(*args: str) -> tuple[int, dict]:
    """Run `sync_access --json ARGS` in-process; return (exit status, the printed object)."""
    out = io.StringIO()
    try:
        call_command("sync_access", "--json", *args, stdout=out, stderr=io.StringIO())
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, json.loads(out.getvalue())


def stored_lists() -> dict[str, set[Row]]:
    """Return every resource's stored list by uuid: {(email, sources, role)}."""
    lists: dict[str, set[Row]] = {
        str(uuid): set() for uuid in AddonResource.objects.values_list("uuid", flat=True)
    }
    rows = AccessGrant.objects.values_list("resource__uuid", "email", "sources", "role")
    for uuid, email, sources, role in rows.iterator():
        lists[str(uuid)].add((email, tuple(sources), role))
    return lists


def emails_of(rows: set[Row]) -> set[str]:
    return {email for email, _, _ in rows}


@dataclass
class Matrix:
    """The world of a fault-matrix test: the fake, its world and the seeded resources."""

    fake: FakeHeroku
    world: World
    uuids: list[str]
    sleeps: list[float] = field(default_factory=list)

    def app_id(self, uuid: str) -> str:
        return self.world.app_of(uuid)["id"]

    def team_id(self, uuid: str) -> str:
        team = self.world.app_of(uuid)["team"]
        return team["id"] if team else ""

    def truth(self, uuid: str) -> set[str]:
        return self.world.expected_emails(uuid)

    def change_truth(self, uuids: list[str], tag: str) -> None:
        """Add one collaborator to each of UUIDS and remove one team member where a team has
        more than one (a team keeps at least one)."""
        for uuid in uuids:
            self.world.add_collaborator(uuid, f"new-{tag}-{uuid[:8]}@example.com")
            app = self.world.app_of(uuid)
            if app["team"] and len(self.world.team_members[app["team"]["id"]]) > 1:
                gone = self.world.team_members[app["team"]["id"]][0]["email"]
                self.world.remove_member(uuid, gone)

    def secrets_of(self, uuid: str) -> list[str]:
        """Return every secret a sync of UUID handles: tokens and the client secret."""
        resource = AddonResource.objects.get(uuid=uuid)
        return [
            secret
            for secret in (resource.access_token, resource.refresh_token, CLIENT_SECRET)
            if secret
        ]


def light_world(n: int, *, seed: int) -> World:
    """Return a world of N resources with short lists, so that 200 of them sync in seconds:
    60% team apps (1 to 3 collaborators, 1 to 5 members), personal apps with 0 to 4
    collaborators besides the owner; resource 0 is a team app of BIG_LIST members."""
    rng = random.Random(seed)
    world = World()
    for i in range(n):
        uuid = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
        collaborators = [f"c{i}-{j}@example.com" for j in range(rng.randint(1, 3))]
        if i == 0:
            members = [f"m{i}-{j:04}@example.com" for j in range(BIG_LIST)]
            world.add_resource(uuid, team=f"team-{i}", collaborators=collaborators, members=members)
        elif rng.random() < 0.6:
            # A team has at least one member, its admin (a list without one is refused).
            members = [f"m{i}-{j}@example.com" for j in range(rng.randint(0, 5))] or [
                f"admin{i}@example.com"
            ]
            world.add_resource(uuid, team=f"team-{i}", collaborators=collaborators, members=members)
        else:
            extra = collaborators[: rng.randint(0, 3)] + [f"x{i}@example.com"]
            world.add_resource(uuid, owner=f"owner{i}@example.com", collaborators=extra)
    return world


def seed_resources(world: World, *, refresh: bool = True) -> Addon:
    """Create one provisioned AddonResource per resource of WORLD, with its tokens."""
    company = Company.objects.create(name="Reliability", slug="reliability")
    addon = Addon.objects.create(
        company=company, slug="acme-search", name="Acme Search", oauth_client_secret=CLIENT_SECRET
    )
    plan = Plan.objects.create(addon=addon, slug="basic", name="Basic")
    tokens = {grant["resource"]: token for token, grant in world.tokens.items()}
    rows = []
    for uuid in world.addons:
        refresh_token = f"refresh-{uuid}"
        if refresh:
            world.refresh_tokens[refresh_token] = {"resource": uuid, "client_secret": CLIENT_SECRET}
        rows.append(
            AddonResource(
                uuid=uuid,
                addon=addon,
                plan=plan,
                state=AddonResource.State.PROVISIONED,
                access_token=tokens[uuid],
                refresh_token=refresh_token,
                token_expires_at=timezone.now() + timedelta(hours=8),
            )
        )
    AddonResource.objects.bulk_create(rows, batch_size=500)
    return addon


@pytest.fixture
def fast_backoff(monkeypatch):
    """Keep the client's retries and 429 back-off, but sleep at most 10 ms; record each delay."""
    sleeps: list[float] = []

    def sleep(delay: float) -> None:
        sleeps.append(delay)
        time.sleep(min(delay, 0.01))

    client = functools.partial(PlatformClient, sleep=sleep)
    monkeypatch.setattr("addons.access.sync.PlatformClient", client)
    return sleeps


def first_sync(world: World) -> None:
    """Seed WORLD's resources and sync them cleanly; check every list reached the truth."""
    seed_resources(world)
    code, report = sync_json()
    assert (code, report["synced"], report["failed"]) == (0, WORLD_SIZE, 0), report
    for uuid, rows in stored_lists().items():
        assert emails_of(rows) == world.expected_emails(uuid), uuid


@contextmanager
def serving(world: World, settings):
    with FakeHeroku(world, record=True) as fake:
        settings.HEROKU_API_URL = fake.url
        settings.HEROKU_ID_URL = fake.url
        settings.SYNC_CONCURRENCY = 8
        yield fake


@pytest.fixture
def matrix(settings, fast_backoff) -> Matrix:
    """200 resources known to the fake and the database, each with a stored list from a clean
    first sync (see light_world). For tests that commit (transaction=True)."""
    world = light_world(WORLD_SIZE, seed=11)
    with serving(world, settings) as fake:
        first_sync(world)
        fake.reset_counters()
        yield Matrix(fake=fake, world=world, uuids=list(world.addons), sleeps=fast_backoff)


@pytest.fixture(scope="module")
def synced_once(django_db_setup, django_db_blocker):
    """The world of `matrix` after its clean first sync, committed once for a whole module.

    Each test runs in a transaction that is rolled back, so each starts from this state; the
    rows are deleted when the module ends."""
    world = light_world(WORLD_SIZE, seed=11)
    with django_db_blocker.unblock():
        with FakeHeroku(world) as fake:
            with override_settings(
                HEROKU_API_URL=fake.url, HEROKU_ID_URL=fake.url, SYNC_CONCURRENCY=8
            ):
                first_sync(world)
        try:
            yield copy.deepcopy(world)
        finally:
            AccessChange.objects.all().delete()
            AddonResource.objects.all().delete()
            SyncRun.objects.all().delete()
            Company.objects.filter(slug="reliability").delete()


@pytest.fixture
def shared_matrix(synced_once, db, settings, fast_backoff) -> Matrix:
    """Like `matrix`, from the module's committed first sync (cheaper; not for transaction=True).

    A fresh copy of the world on a fresh fake: the stored ETags still match it."""
    world = copy.deepcopy(synced_once)
    with serving(world, settings) as fake:
        yield Matrix(fake=fake, world=world, uuids=list(world.addons), sleeps=fast_backoff)


def pick(uuids: list[str], n: int, *, seed: int, exclude=()) -> list[str]:
    """Return N of UUIDS chosen reproducibly, never one of EXCLUDE."""
    pool = [uuid for uuid in uuids if uuid not in set(exclude)]
    return random.Random(seed).sample(pool, n)
