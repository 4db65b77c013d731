"""The fake Heroku's add-on webhooks: subscriptions as the schema says, signed deliveries when the
world changes, retried like `sync` level, in order, and test hooks that forge, replay and
reorder them."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from addons.heroku.fake import FakeHeroku

ACCEPT = {"Accept": "application/vnd.heroku+json; version=3"}
INCLUDE = ["api:collaborator", "api:app", "api:addon", "api:addon-attachment"]


class Receiver:
    """A transport that records each delivery and answers from a script (then 204)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.received: list[tuple[bytes, dict]] = []

    def __call__(self, url, body, headers):
        self.received.append((body, headers))
        answer = self.answers.pop(0) if self.answers else 204
        if isinstance(answer, Exception):
            raise answer
        return answer

    def bodies(self):
        return [json.loads(body) for body, _ in self.received]


def call(fake, method, path, token, body=None):
    return requests.request(
        method,
        fake.url + path,
        json=body,
        headers={**ACCEPT, "Authorization": f"Bearer {token}"},
        timeout=5,
    )


def valid(signature: str, secret: str, body: bytes) -> bool:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64decode(signature), digest)


@pytest.fixture
def fake():
    with FakeHeroku(webhook_retry_delays=(0.0, 0.0)) as fake:
        yield fake


@pytest.fixture
def resource(fake):
    """(uuid, token) of a personal app with the owner and one collaborator."""
    return fake.world.add_resource(collaborators=["ann@example.com"])


@pytest.fixture
def subscribed(fake, resource):
    """RESOURCE with a sync webhook whose authorization and secret are known; its receiver."""
    uuid, token = resource
    body = {
        "include": INCLUDE,
        "level": "sync",
        "url": "https://portal.example.com/heroku/webhooks/1",
        "authorization": "Bearer auth-1",
        "secret": "secret-1",
    }
    assert call(fake, "POST", f"/addons/{uuid}/webhooks", token, body).status_code == 201
    receiver = Receiver()
    fake.dispatcher.transport = receiver
    return uuid, receiver


def test_a_subscription_is_created_listed_read_updated_and_deleted(fake, resource):
    uuid, token = resource
    body = {"include": ["api:collaborator"], "level": "sync", "url": "https://p.example.com/h"}
    created = call(fake, "POST", f"/addons/{uuid}/webhooks", token, body)
    assert created.status_code == 201
    webhook = created.json()
    assert webhook["addon"]["id"] == uuid and webhook["level"] == "sync"
    assert "secret" not in webhook
    # Without a secret of ours, Heroku makes one and says it once.
    assert created.headers["Heroku-Webhook-Secret"]
    path = f"/addons/{uuid}/webhooks/{webhook['id']}"
    assert [w["id"] for w in call(fake, "GET", f"/addons/{uuid}/webhooks", token).json()] == [
        webhook["id"]
    ]
    assert call(fake, "GET", path, token).json()["url"] == "https://p.example.com/h"
    updated = call(fake, "PATCH", path, token, {"include": ["api:app"]})
    assert updated.json()["include"] == ["api:app"]
    assert call(fake, "DELETE", path, token).status_code == 200
    assert call(fake, "GET", path, token).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"include": ["api:collaborator"], "level": "sync"},
        {"include": ["api:release"], "level": "sync", "url": "https://p.example.com/h"},
        {"include": ["api:app"], "level": "often", "url": "https://p.example.com/h"},
        {"include": ["api:app"], "level": "sync", "url": "https://p.example.com/h", "x": 1},
    ],
)
def test_an_invalid_subscription_is_refused(fake, resource, body):
    uuid, token = resource
    answer = call(fake, "POST", f"/addons/{uuid}/webhooks", token, body)
    assert answer.status_code == 422
    assert answer.json()["id"] == "invalid_params"
    assert fake.world.webhooks == {}


def test_another_resources_token_may_not_subscribe(fake, resource):
    uuid, _ = resource
    _, other_token = fake.world.add_resource()
    body = {"include": ["api:app"], "level": "sync", "url": "https://p.example.com/h"}
    assert call(fake, "POST", f"/addons/{uuid}/webhooks", other_token, body).status_code == 403


def test_removing_a_collaborator_sends_a_signed_delivery(fake, subscribed):
    uuid, receiver = subscribed
    fake.world.remove_collaborator(uuid, "ann@example.com")
    fake.dispatcher.drain()
    [(body, headers)] = receiver.received
    assert headers["Authorization"] == "Bearer auth-1"
    assert valid(headers["Heroku-Webhook-Hmac-SHA256"], "secret-1", body)
    event = json.loads(body)
    assert (event["resource"], event["action"]) == ("collaborator", "destroy")
    assert event["data"]["user"]["email"] == "ann@example.com"
    metadata = event["webhook_metadata"]
    assert metadata["event"]["id"] == event["id"]
    assert metadata["delivery"]["id"] and metadata["attempt"]["id"]


def test_app_and_add_on_changes_are_delivered(fake, subscribed):
    uuid, receiver = subscribed
    fake.world.rename_app(uuid, "renamed")
    fake.world.destroy_app(uuid)
    fake.dispatcher.drain()
    kinds = [(b["resource"], b["action"]) for b in receiver.bodies()]
    assert kinds == [("app", "update"), ("addon", "destroy"), ("app", "destroy")]


def test_a_failed_sync_delivery_is_retried_and_the_next_waits_for_it(fake, subscribed):
    uuid, receiver = subscribed
    receiver.answers = [500, TimeoutError(), 204, 204]
    fake.world.add_collaborator(uuid, "bob@example.com")
    fake.world.remove_collaborator(uuid, "bob@example.com")
    fake.dispatcher.drain()
    actions = [b["action"] for b in receiver.bodies()]
    assert actions == ["create", "create", "create", "destroy"]
    first = fake.dispatcher.deliveries[0]
    assert first.answers == [500, "timeout", 204] and first.status == "success"
    # Each attempt of one delivery has its own attempt id, and the same delivery and event ids.
    metadata = [b["webhook_metadata"] for b in receiver.bodies()[:3]]
    assert len({m["attempt"]["id"] for m in metadata}) == 3
    assert len({m["delivery"]["id"] for m in metadata}) == 1


def test_a_delivery_gives_up_after_its_retries(fake, subscribed):
    uuid, receiver = subscribed
    receiver.answers = [503, 503, 503]
    fake.world.add_collaborator(uuid, "bob@example.com")
    fake.dispatcher.drain()
    assert fake.dispatcher.deliveries[0].status == "failure"
    assert len(receiver.received) == 3  # one attempt and the two retries of the schedule


def test_hooks_forge_replay_and_reorder(fake, subscribed):
    uuid, receiver = subscribed
    fake.dispatcher.hold()
    fake.world.add_collaborator(uuid, "bob@example.com")
    fake.world.add_collaborator(uuid, "cat@example.com")
    assert fake.dispatcher.deliver_due() == 0  # held
    fake.dispatcher.reorder()
    fake.dispatcher.release()
    fake.dispatcher.drain()
    emails = [b["data"]["user"]["email"] for b in receiver.bodies()]
    assert emails == ["cat@example.com", "bob@example.com"]

    first = fake.dispatcher.deliveries[0]
    fake.dispatcher.replay(first.id)
    assert receiver.received[-1] == first.sent[0]  # byte for byte

    fake.dispatcher.forge(uuid, email="mallory@example.com")
    body, headers = receiver.received[-1]
    assert json.loads(body)["data"]["user"]["email"] == "mallory@example.com"
    assert not valid(headers["Heroku-Webhook-Hmac-SHA256"], "secret-1", body)


class _Recorder(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.received.append((self.rfile.read(length), self.headers))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_fake_in_its_own_thread_delivers_over_http_when_the_control_api_changes_things():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.received = []
    try:
        with FakeHeroku(deliver_webhooks=True) as fake:
            uuid, token = fake.world.add_resource(collaborators=["ann@example.com"])
            url = f"http://127.0.0.1:{server.server_address[1]}/hook"
            body = {"include": INCLUDE, "level": "sync", "url": url, "secret": "s"}
            call(fake, "POST", f"/addons/{uuid}/webhooks", token, body)
            requests.delete(
                fake.url + "/_fake/collaborators",
                json={"resource": uuid, "email": "ann@example.com"},
                timeout=5,
            )
            with fake.dispatcher.lock:
                fake.dispatcher.wake.wait_for(lambda: not fake.dispatcher.pending(), timeout=5)
            answer = requests.get(fake.url + "/_fake/webhook-deliveries", timeout=5).json()
        assert [d["status"] for d in answer] == ["success"]
        [(raw, headers)] = _Recorder.received
        assert valid(headers["Heroku-Webhook-Hmac-SHA256"], "s", raw)
    finally:
        server.shutdown()
        server.server_close()
