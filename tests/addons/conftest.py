"""Fixtures of the add-on tests (the shared ones, `addon` and `resource` among them, are in
tests/conftest.py): clocks, more resources, the tasks the portal queues, and Heroku playing
against the Partner API."""

import socket
import uuid

import pytest
from django.utils import timezone

from addons.access.sync import sync_resource
from addons.models import AddonResource, SyncRun
from tests.addons.partner_api.partner_api import Heroku


class FakeClock:
    """A monotonic clock that advances only when the code under test sleeps, or when a test moves
    `now` (or never, FROZEN).

    A frozen clock keeps a pacer's hold in force however long anyone slept: each later request
    shows the whole hold it was made to wait.
    """

    def __init__(self, *, frozen: bool = False):
        self.now = 1000.0
        self.frozen = frozen
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        if not self.frozen:
            self.now += seconds


class HungServer:
    """A TCP server on loopback that accepts every connection and never answers on any.

    The kernel completes each connection from the listen backlog, so a client's connect succeeds
    and its read waits until its own timeout: a Heroku that hangs. Nothing runs in a thread, and
    closing it costs nothing, however long a client would have waited.
    """

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.listener.setblocking(False)
        self.accepted: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    @property
    def connections(self) -> int:
        """Return how many connections clients have made so far."""
        while True:
            try:
                connection, _ = self.listener.accept()
            except BlockingIOError:
                return len(self.accepted)
            self.accepted.append(connection)

    def close(self) -> None:
        for connection in self.accepted:
            connection.close()
        self.listener.close()


@pytest.fixture
def hung_heroku():
    """A Heroku that accepts connections and never answers (point HEROKU_API_URL or
    HEROKU_ID_URL at `hung_heroku.url`); `.connections` counts the connections made to it."""
    server = HungServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def clock():
    """A monotonic clock that moves only when told to or slept on (see FakeClock)."""
    return FakeClock()


@pytest.fixture
def frozen_clock():
    """A monotonic clock that never moves, however long anyone sleeps on it."""
    return FakeClock(frozen=True)


@pytest.fixture
def queued(monkeypatch):
    """The django-q2 tasks the portal queues, recorded as (func, *args) instead of run.

    The tests that use it check what is asked for, never that it runs (tests/addons/access/ cover
    the sync itself).
    """
    calls = []

    def record(func, *args, **kwargs):
        calls.append((func, *args))

    for module in (
        "addons.partner_api.grants",  # the first sync after provisioning
        "addons.access.tasks",  # enqueue_sync: the admin's "sync now", sync_access --enqueue
        "addons.lifecycle.queue",  # reports to Heroku, rotations, lines in the app's log
        "addons.access.webhooks.receiver",  # the work of an accepted webhook delivery
        "addons.access.webhooks.subscriptions",  # removing a de-provisioned resource's webhook
    ):
        monkeypatch.setattr(f"{module}.async_task", record)
    return calls


@pytest.fixture
def heroku(client, addon):
    """Heroku, calling the Partner API of `addon` with its manifest's credentials."""
    return Heroku(client, addon)


@pytest.fixture
def other_resource(addon, plan):
    """A second provisioned resource of `addon`, its list synced just now."""
    return AddonResource.objects.create(
        uuid=uuid.uuid4(),
        addon=addon,
        plan=plan,
        state=AddonResource.State.PROVISIONED,
        app_name="other-app",
        last_synced_at=timezone.now(),
    )


@pytest.fixture
def team_resource(make_resource):
    """A team app's resource: 2 collaborators, 1,200 team members (more than one page), and
    one person listed both ways in different case; never synced."""
    members = [f"member{i:04}@example.com" for i in range(1200)] + ["dup@example.com"]
    return make_resource(
        app_name="team-app",
        team="acme-team",
        collaborators=["Dup@Example.com", "c@example.com"],
        members=members,
    )


@pytest.fixture
def synced_resource(fake_heroku, personal_resource):
    """`personal_resource`, its access list synced from the fake Heroku just now; the fake's
    request log starts empty after it."""
    assert sync_resource(personal_resource, trigger=SyncRun.Trigger.CRON).ok
    fake_heroku.reset_counters()
    return personal_resource
