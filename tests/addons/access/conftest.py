"""Fixtures of the access-list sync tests."""

import pytest

from addons.access.claims import ClaimLease
from addons.models import SyncRun


@pytest.fixture
def live_run(db):
    """Another sync run, alive in this process: its liveness lock held, its SyncRun recorded
    (on host worker-2, pid 4242)."""
    lease = ClaimLease()
    lease.hold()
    SyncRun.objects.create(trigger="cron", claim_id=lease.claim_id, host="worker-2", pid=4242)
    yield lease
    lease.release()


class DjangoTransport:
    """The fake Heroku's webhook transport, posting each delivery to the portal's test client."""

    def __init__(self, client, base_url: str):
        self.client = client
        self.base_url = base_url
        self.answers: list[int] = []

    def __call__(self, url, body, headers):
        assert url.startswith(self.base_url), url
        extra = {k: v for k, v in headers.items() if k != "Content-Type"}
        response = self.client.generic(
            "POST",
            url.removeprefix(self.base_url),
            body,
            content_type=headers.get("Content-Type", ""),
            headers=extra,
        )
        self.answers.append(response.status_code)
        return response.status_code


@pytest.fixture
def webhook_transport(client, fake_heroku, settings):
    """Deliveries of the fake Heroku go to the portal's receiver through the test client."""
    transport = DjangoTransport(client, settings.WEBHOOK_BASE_URL)
    fake_heroku.dispatcher.transport = transport
    return transport


@pytest.fixture
def subscribed_resource(make_resource, webhook_transport):
    """A personal app's resource (owner@, ann@, bob@ as collaborators), synced, with an active
    webhook subscription on the fake Heroku whose deliveries reach the portal."""
    from addons.access.sync import sync_resource
    from addons.access.webhooks.subscriptions import subscribe_resource

    resource = make_resource(
        app_name="hooked-app", collaborators=["ann@example.com", "bob@example.com"]
    )
    sync_resource(resource, trigger="cron")
    subscription = subscribe_resource(resource=resource)
    assert subscription.status == "active", subscription.error
    resource.refresh_from_db()
    return resource
