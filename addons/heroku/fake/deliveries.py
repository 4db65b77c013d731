"""The fake's add-on webhook deliveries: signed, retried like Heroku's `sync` level, in order.

Each event of the world (see `World.emit`) becomes one delivery per webhook of each add-on on the
event's app that includes the event's type (`api:collaborator`, `api:app`, `api:addon`, …). A
delivery's body follows API-NOTES ("Add-on webhooks"); it carries `Authorization` (the webhook's
`authorization`) and `Heroku-Webhook-Hmac-SHA256` (base64 of HMAC-SHA256 of the raw body with
the webhook's `secret`). A `sync` webhook's deliveries go out in order: the next waits until the
one before it was answered with a 2xx or gave up, and a non-2xx answer or a timeout is retried
after each delay of RETRY_DELAYS (small and settable, so tests run in milliseconds). A `notify`
webhook gets one attempt.

Delivery runs in a background thread (`start`, as the fake's process does), or when a test asks
(`deliver_due`, `drain`), through TRANSPORT (default: an HTTP POST; a test may send to Django's
test client instead). Test hooks: `hold`/`release` keep deliveries queued, `reorder` reverses the
queued ones, `replay` sends a delivered one again byte for byte, `forge` sends a delivery signed
with a wrong secret (or none).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from addons.heroku.fake.world import World, new_id

# The seconds between attempts of a `sync` delivery: Heroku retries for about seven days; the
# fake's schedule is short, and a test may set its own.
RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0)


Transport = Callable[[str, bytes, dict], int]


@dataclass
class Delivery:
    """One event on its way to one webhook, and what became of it."""

    id: str
    event: dict
    webhook: dict
    status: str = "pending"  # pending | success | failure
    attempts: int = 0
    next_at: float = 0.0
    answers: list = field(default_factory=list)  # each attempt's status code, or "timeout"/error
    sent: list = field(default_factory=list)  # (body, headers) of each attempt, for replays

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "event": {"id": self.event["id"], "include": _include(self.event)},
            "webhook": {"id": self.webhook["id"], "level": self.webhook["level"]},
            "status": self.status,
            "num_attempts": self.attempts,
            "answers": list(self.answers),
            "resource": self.webhook["addon"]["id"],
        }


def _include(event: dict) -> str:
    return f"api:{event['resource']}"


def sign(secret: str, body: bytes) -> str:
    """Return the Heroku-Webhook-Hmac-SHA256 header value of BODY under SECRET."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def http_transport(timeout: float) -> Transport:
    """Return a transport that POSTs each delivery over HTTP and answers its status code."""

    def post(url: str, body: bytes, headers: dict) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    return post


class Dispatcher:
    """Turn the world's events into signed deliveries and send them, in order, with retries."""

    def __init__(
        self,
        world: World,
        *,
        transport: Transport | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        timeout: float = 5.0,
        clock=time.monotonic,
    ):
        self.world = world
        self.transport = transport or http_transport(timeout)
        self.retry_delays = tuple(retry_delays)
        self.clock = clock
        self.deliveries: list[Delivery] = []
        self.held = False
        self.lock = threading.RLock()
        self.wake = threading.Condition(self.lock)
        self.thread: threading.Thread | None = None
        self.stopping = False
        world.listeners.append(self.on_event)

    # Events -> deliveries --------------------------------------------------------------------
    def on_event(self, event: dict) -> None:
        """Queue one delivery of EVENT per webhook that includes its type."""
        include = _include(event)
        addon_ids = {a["id"] for a in self.world.addons_on(event["app_id"])}
        with self.lock:
            for webhook in list(self.world.webhooks.values()):
                if webhook["addon"]["id"] in addon_ids and include in webhook["include"]:
                    self.deliveries.append(Delivery(id=new_id(), event=event, webhook=webhook))
            self.wake.notify_all()

    def body(self, delivery: Delivery) -> bytes:
        """Return the JSON body of DELIVERY's next attempt (each attempt has its own id)."""
        event = delivery.event
        payload = {
            "id": event["id"],
            "action": event["action"],
            "actor": {"email": "someone@example.com", "id": new_id()},
            "resource": event["resource"],
            "data": event["data"],
            "previous_data": event["previous_data"],
            "created_at": event["created_at"],
            "published_at": event["created_at"],
            "sequence": None,
            "version": "application/vnd.heroku+json; version=3",
            "webhook_metadata": {
                "attempt": {"id": new_id()},
                "delivery": {"id": delivery.id},
                "event": {"id": event["id"], "include": _include(event)},
                "webhook": {"id": delivery.webhook["id"]},
            },
        }
        return json.dumps(payload).encode()

    @staticmethod
    def headers(webhook: dict, body: bytes, *, secret: str | None = None) -> dict:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Heroku-Webhooks (fake)",
            "Heroku-Webhook-Hmac-SHA256": sign(secret or webhook["secret"], body),
        }
        if webhook.get("authorization"):
            headers["Authorization"] = webhook["authorization"]
        return headers

    # Sending ---------------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """Send every delivery that is due (one per webhook, in order); return how many went."""
        sent = 0
        for delivery in self._due():
            self._attempt(delivery)
            sent += 1
        return sent

    def _due(self) -> list[Delivery]:
        with self.lock:
            if self.held:
                return []
            now = self.clock()
            heads: dict[str, Delivery] = {}
            for delivery in self.deliveries:
                if delivery.status != "pending":
                    continue
                key = delivery.webhook["id"]
                if delivery.webhook["level"] == "notify":
                    key = delivery.id  # notify deliveries wait for nothing
                heads.setdefault(key, delivery)
            return [d for d in heads.values() if d.next_at <= now]

    def _attempt(self, delivery: Delivery) -> None:
        webhook = delivery.webhook
        body = self.body(delivery)
        headers = self.headers(webhook, body)
        try:
            answer = self.transport(webhook["url"], body, headers)
        except TimeoutError:
            answer = "timeout"
        except OSError as exc:
            answer = type(exc).__name__
        with self.lock:
            delivery.attempts += 1
            delivery.answers.append(answer)
            delivery.sent.append((body, headers))
            if isinstance(answer, int) and 200 <= answer < 300:
                delivery.status = "success"
            elif webhook["level"] != "sync" or delivery.attempts > len(self.retry_delays):
                delivery.status = "failure"
            else:
                delivery.next_at = self.clock() + self.retry_delays[delivery.attempts - 1]
            self.wake.notify_all()

    def pending(self) -> int:
        with self.lock:
            return sum(1 for d in self.deliveries if d.status == "pending")

    def drain(self, timeout: float = 5.0) -> None:
        """Deliver (in this thread) until nothing is pending; raise TimeoutError after TIMEOUT."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.pending()} webhook deliveries still pending")
            if not self.deliver_due():
                time.sleep(0.01)

    # The background thread (a fake in its own process) ---------------------------------------
    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="fake-webhooks", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            self.wake.notify_all()

    def _run(self) -> None:
        while True:
            with self.lock:
                if self.stopping:
                    return
            if not self.deliver_due():
                with self.lock:
                    self.wake.wait(timeout=0.02)

    # Test hooks ------------------------------------------------------------------------------
    def hold(self) -> None:
        """Keep every delivery queued until `release`."""
        with self.lock:
            self.held = True

    def release(self) -> None:
        with self.lock:
            self.held = False
            self.wake.notify_all()

    def reorder(self) -> None:
        """Reverse the order of the pending deliveries (sent in the new order once released)."""
        with self.lock:
            pending = [d for d in self.deliveries if d.status == "pending"]
            done = [d for d in self.deliveries if d.status != "pending"]
            self.deliveries = done + pending[::-1]

    def find(self, delivery_id: str) -> Delivery:
        with self.lock:
            for delivery in self.deliveries:
                if delivery.id == delivery_id:
                    return delivery
        raise KeyError(delivery_id)

    def replay(self, delivery_id: str, *, attempt: int = -1) -> int | str:
        """Send one attempt of a sent delivery again, byte for byte; return the answer."""
        delivery = self.find(delivery_id)
        body, headers = delivery.sent[attempt]
        return self._send_once(delivery.webhook["url"], body, headers)

    def forge(
        self, resource_uuid: str, *, action: str = "create", email: str = "intruder@example.com"
    ) -> int | str:
        """Send a collaborator event for RESOURCE that is signed with a wrong secret; return the
        answer. Nothing is queued or retried."""
        webhook = self.world.webhooks_of(resource_uuid)[0]
        app = self.world.app_of(resource_uuid)
        event = {
            "id": new_id(),
            "app_id": app["id"],
            "resource": "collaborator",
            "action": action,
            "data": self.world.collaborator_json(app["id"], email),
            "previous_data": {},
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        forged = Delivery(id=new_id(), event=event, webhook=webhook)
        body = self.body(forged)
        headers = self.headers(webhook, body, secret="not-" + webhook["secret"])
        return self._send_once(webhook["url"], body, headers)

    def _send_once(self, url: str, body: bytes, headers: dict) -> int | str:
        try:
            return self.transport(url, body, headers)
        except TimeoutError:
            return "timeout"
        except OSError as exc:
            return type(exc).__name__
