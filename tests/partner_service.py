"""A partner's service, played in the tests: the other side of the HTTP provisioner.

Written from the protocol as README "Plugging in your service" documents it, with the standard
library only, and independent of the portal (it imports none of its code, nor the example in
docs/): if the two sides disagree, the tests fail. It

- checks each event's signature (HMAC-SHA256 of "<timestamp>.<event id>.<body>"), refuses a
  timestamp more than MAX_AGE seconds off and an event id it has seen (401);
- keeps what it provisioned: per resource a plan, a state and its credentials (each a key in the
  URL it hands out), retired or not;
- answers each operation "done" (with config), "pending" or "error" (HTTP 500), as the test
  sets it (`modes`, or `"provisioning": "pending"` in the provisioning options), and refuses the
  plan "refused" with 422;
- completes pending work when the test says so (`complete`), by a signed POST to the portal.

In-process: `with PartnerService(secret=..., portal_url=...) as partner: ...`. As a process:
`python -m tests.partner_service --port N --secret S --portal URL`, driven through its control
API under /_partner/ (JSON in, JSON out): GET events, GET resources, POST modes, POST complete,
POST portal.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_AGE = 300
PREFIX = "ACME_SEARCH"


def sign(secret: str, body: bytes, *, timestamp: int | None = None, event_id: str = "") -> dict:
    """Return the three headers that sign BODY (a new event id and the time now by default)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    event_id = event_id or str(uuid.uuid4())
    message = f"{timestamp}.{event_id}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {
        "Portal-Timestamp": str(timestamp),
        "Portal-Event-Id": event_id,
        "Portal-Signature": f"v1={digest}",
    }


class PartnerService:
    """The service's state and its HTTP server on loopback."""

    def __init__(self, *, secret: str, portal_url: str = "", port: int = 0, prefix: str = PREFIX):
        self.secret = secret
        self.portal_url = portal_url.rstrip("/")
        self.prefix = prefix
        self.modes = {"provision": "done", "deprovision": "done", "rotate": "done"}
        self.events: list[dict] = []  # every event accepted, in order
        self.refused: list[str] = []  # why each refused event was refused
        self.resources: dict[str, dict] = {}
        self.completions: list[dict] = []  # the portal's answers to our completions
        self.seen_ids: dict[str, float] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.server.daemon_threads = True
        self.server.partner = self
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def events_url(self) -> str:
        return f"{self.url}/events"

    def start(self) -> PartnerService:
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> PartnerService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # Receiving events ------------------------------------------------------------------------
    def verify(self, headers, body: bytes) -> str | None:
        """Return why the event must be refused, or None when it is genuine and new."""
        timestamp = headers.get("Portal-Timestamp", "")
        event_id = headers.get("Portal-Event-Id", "")
        given = headers.get("Portal-Signature", "")
        if not timestamp.isdigit() or not event_id:
            return "missing timestamp or event id"
        expected = sign(self.secret, body, timestamp=int(timestamp), event_id=event_id)
        if not hmac.compare_digest(expected["Portal-Signature"], given):
            return "bad signature"
        now = time.time()
        if abs(now - int(timestamp)) > MAX_AGE:
            return "stale timestamp"
        with self.lock:
            self.seen_ids = {k: t for k, t in self.seen_ids.items() if now - t <= 2 * MAX_AGE}
            if event_id in self.seen_ids:
                return "replayed event id"
            self.seen_ids[event_id] = now
        return None

    def handle_event(self, event: dict) -> tuple[int, dict]:
        """Act on one genuine event; return the status and body of the answer."""
        kind, resource = event.get("type"), event.get("resource") or {}
        resource_id = resource.get("uuid", "")
        operation = {"resource.provision": "provision", "resource.deprovision": "deprovision"}
        with self.lock:
            self.events.append(event)
            if self.modes.get(operation.get(kind, "rotate" if "rotate" in kind else "")) == "error":
                return 500, {"message": "The service is down."}
            record = self.resources.setdefault(
                resource_id, {"plan": resource.get("plan"), "state": "new", "credentials": []}
            )
            if kind == "resource.provision":
                return self._provision(record, resource)
            if kind == "resource.plan_change":
                if resource.get("plan") == "refused":
                    return 422, {"message": "The refused plan is not for sale."}
                record["plan"] = resource.get("plan")
                return 200, {"status": "done", "config": {}}
            if kind == "resource.deprovision":
                pending = self.modes["deprovision"] == "pending"
                record["state"] = "deprovisioning" if pending else "deprovisioned"
                return 200, {"status": "pending" if pending else "done"}
            if kind == "credentials.rotate":
                if self.modes["rotate"] == "pending":
                    return 200, {"status": "pending"}
                return 200, {"status": "done", "config": self._issue(resource_id, record)}
            if kind == "credentials.retire":
                for credential in record["credentials"][:-1]:
                    credential["retired"] = True
                return 200, {"status": "done"}
        return 400, {"message": f"unknown event type {kind!r}"}

    def _provision(self, record: dict, resource: dict) -> tuple[int, dict]:
        if record["state"] == "provisioned":  # a repeat: the same answer
            return 200, {"status": "done", "config": self.config_of(resource["uuid"])}
        options = resource.get("options") or {}
        if options.get("provisioning") == "pending" or self.modes["provision"] == "pending":
            record["state"] = "provisioning"
            return 202, {"status": "pending", "message": "Building your search index."}
        record["state"] = "provisioned"
        return 200, {
            "status": "done",
            "config": self._issue(resource["uuid"], record),
            "message": "Your index is ready.",
        }

    def _issue(self, resource_id: str, record: dict) -> dict:
        key = secrets.token_hex(8)
        record["credentials"].append({"key": key, "retired": False})
        return {f"{self.prefix}_URL": f"https://search.acme.example/{resource_id}?key={key}"}

    def config_of(self, resource_id: str) -> dict:
        key = self.resources[resource_id]["credentials"][-1]["key"]
        return {f"{self.prefix}_URL": f"https://search.acme.example/{resource_id}?key={key}"}

    # Completing pending work -----------------------------------------------------------------
    def complete(self, resource_id: str, what: str = "provisioned") -> tuple[int, dict]:
        """Tell the portal that WHAT finished for RESOURCE_ID (e.g. provisioned, credentials)."""
        with self.lock:
            record = self.resources[resource_id]
            if what == "provisioned":
                record["state"] = "provisioned"
                body = {"config": self._issue(resource_id, record)}
            elif what == "credentials":
                body = {"config": self._issue(resource_id, record)}
            else:
                record["state"] = "deprovisioned"
                body = {}
        return self.post_to_portal(f"/lifecycle/resources/{resource_id}/{what}", body)

    def post_to_portal(self, path: str, body: dict, *, headers: dict | None = None):
        """POST BODY, signed, to the portal's PATH; return (status, decoded answer)."""
        raw = json.dumps(body).encode()
        signed = headers or sign(self.secret, raw)
        request = urllib.request.Request(
            self.portal_url + path,
            data=raw,
            method="POST",
            headers={"Content-Type": "application/json", **signed},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                result = answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            result = error.code, json.loads(error.read() or b"{}")
        with self.lock:
            self.completions.append({"path": path, "status": result[0], "answer": result[1]})
        return result


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet
        pass

    @property
    def partner(self) -> PartnerService:
        return self.server.partner

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        partner = self.partner
        with partner.lock:
            if self.path == "/_partner/events":
                return self._send(200, list(partner.events))
            if self.path == "/_partner/resources":
                return self._send(200, partner.resources)
            if self.path == "/_partner/refused":
                return self._send(200, list(partner.refused))
        self._send(404, {"message": "no such page"})

    def do_POST(self):
        body = self._body()
        if self.path.startswith("/_partner/"):
            return self._control(self.path.removeprefix("/_partner/"), json.loads(body or b"{}"))
        if self.path != "/events":
            return self._send(404, {"message": "no such endpoint"})
        refusal = self.partner.verify(self.headers, body)
        if refusal is not None:
            with self.partner.lock:
                self.partner.refused.append(refusal)
            return self._send(401, {"message": refusal})
        status, answer = self.partner.handle_event(json.loads(body))
        self._send(status, answer)

    def _control(self, route: str, data: dict):
        partner = self.partner
        if route == "modes":
            with partner.lock:
                partner.modes.update(data)
            return self._send(200, partner.modes)
        if route == "portal":
            partner.portal_url = data["url"].rstrip("/")
            return self._send(200, {})
        if route == "complete":
            status, answer = partner.complete(data["resource"], data.get("what", "provisioned"))
            return self._send(200, {"status": status, "answer": answer})
        self._send(404, {"message": "no such control route"})


def main(argv=None) -> None:
    """Serve the partner's service until SIGTERM or Ctrl-C (exit status 0 either way)."""
    parser = argparse.ArgumentParser(description="A partner's service for the portal's tests.")
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--portal", default="")
    args = parser.parse_args(argv)
    partner = PartnerService(secret=args.secret, portal_url=args.portal, port=args.port)
    print(f"partner service on {partner.url}", flush=True)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        partner.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        partner.server.server_close()


if __name__ == "__main__":
    main()
