"""An add-on's own service, complete and as small as it gets: the other side of the portal's HTTP
provisioner (docs/provisioning.md). Python 3.12+, standard library only.

It "provisions" a database per resource (here: an entry in a dict and an access key), answers at
once for most plans and "pending" for the plan `dedicated`, which it builds in the background and
then reports to the portal. It rotates keys (keeping the old one until the portal says to retire
it) and checks every event: signature, timestamp, and that the event id is new.

    PORTAL_URL=https://portal.example.com PORTAL_SIGNING_SECRET=<from the portal> \\
        python example_service.py --port 8080

In the portal, set the add-on's service URL (Your service, on the manifest page) to
`https://<where this runs>/heroku/events`, and generate the signing secret there.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_AGE = 300  # seconds a signed timestamp may be off, either way (as the portal's)
CONFIG_VAR = os.environ.get("CONFIG_VAR", "ACME_SEARCH_URL")  # one of the manifest's config_vars
SLOW_PLANS = {"dedicated"}  # built in the background: the portal is told "pending"

settings = {"secret": "", "portal_url": "", "build_seconds": 5.0}
databases: dict[str, dict] = {}  # resource uuid -> {"plan", "state", "keys"}
seen_event_ids: dict[str, float] = {}
lock = threading.Lock()


# Signing, both ways ------------------------------------------------------------------------------
def sign(timestamp: str, event_id: str, body: bytes) -> str:
    message = f"{timestamp}.{event_id}.".encode() + body
    return "v1=" + hmac.new(settings["secret"].encode(), message, hashlib.sha256).hexdigest()


def refusal(headers, body: bytes) -> str | None:
    """Return why an event must be refused, or None when it is genuine, recent and new."""
    timestamp = headers.get("Portal-Timestamp", "")
    event_id = headers.get("Portal-Event-Id", "")
    if not timestamp.isdigit() or not event_id:
        return "missing Portal-Timestamp or Portal-Event-Id"
    if not hmac.compare_digest(
        sign(timestamp, event_id, body), headers.get("Portal-Signature", "")
    ):
        return "bad signature"
    now = time.time()
    if abs(now - int(timestamp)) > MAX_AGE:
        return "timestamp too old or too far ahead"
    with lock:
        for seen, at in list(seen_event_ids.items()):  # forget what can no longer be replayed
            if now - at > 2 * MAX_AGE:
                del seen_event_ids[seen]
        if event_id in seen_event_ids:
            return "event id already seen"
        seen_event_ids[event_id] = now
    return None


def tell_portal(resource_id: str, what: str, payload: dict) -> int:
    """POST PAYLOAD, signed, to /lifecycle/resources/<id>/<what>; return the HTTP status."""
    body = json.dumps(payload).encode()
    timestamp, event_id = str(int(time.time())), str(uuid.uuid4())
    request = urllib.request.Request(
        f"{settings['portal_url']}/lifecycle/resources/{resource_id}/{what}",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Portal-Timestamp": timestamp,
            "Portal-Event-Id": event_id,
            "Portal-Signature": sign(timestamp, event_id, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:  # 4xx: read the message, fix the request
        print(f"portal refused {what} of {resource_id}: {error.code} {error.read()!r}")
        return error.code


# The service's own work --------------------------------------------------------------------------
def config_of(resource_id: str) -> dict:
    key = databases[resource_id]["keys"][-1]
    return {CONFIG_VAR: f"https://db.example.com/{resource_id}?key={key}"}


def build_in_background(resource_id: str) -> None:
    time.sleep(settings["build_seconds"])  # stands for minutes of real work
    with lock:
        databases[resource_id]["state"] = "provisioned"
        config = config_of(resource_id)
    tell_portal(resource_id, "provisioned", {"config": config})


def handle(event: dict) -> tuple[int, dict]:
    """Act on one event; return (HTTP status, answer). Every operation is idempotent."""
    kind, resource = event["type"], event["resource"]
    resource_id = resource["uuid"]
    with lock:
        if kind == "resource.provision":
            database = databases.setdefault(
                resource_id,
                {"plan": resource["plan"], "state": "new", "keys": [secrets.token_hex(16)]},
            )
            if database["plan"] in SLOW_PLANS and database["state"] != "provisioned":
                if database["state"] == "new":  # a repeated event starts nothing twice
                    database["state"] = "building"
                    threading.Thread(target=build_in_background, args=(resource_id,)).start()
                return 200, {"status": "pending", "message": "Your database is being built."}
            database["state"] = "provisioned"
            return 200, {"status": "done", "config": config_of(resource_id)}
        database = databases.get(resource_id)
        if database is None:
            return 404, {"message": "unknown resource"}
        if kind == "resource.plan_change":
            if resource["plan"] in SLOW_PLANS:
                return 422, {"message": "Dedicated databases are created new, not changed into."}
            database["plan"] = resource["plan"]
            return 200, {"status": "done"}
        if kind == "resource.deprovision":
            databases.pop(resource_id)
            return 200, {"status": "done"}
        if kind == "credentials.rotate":
            database["keys"].append(secrets.token_hex(16))  # the old key keeps working
            return 200, {"status": "done", "config": config_of(resource_id)}
        if kind == "credentials.retire":
            database["keys"] = database["keys"][-1:]  # only the newest key works now
            return 200, {"status": "done"}
    return 400, {"message": f"unknown event type {kind}"}


class Events(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        why = refusal(self.headers, body) if self.path == "/heroku/events" else "not found"
        if why is not None:
            status, answer = (404 if why == "not found" else 401), {"message": why}
        else:
            status, answer = handle(json.loads(body))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    settings["secret"] = os.environ["PORTAL_SIGNING_SECRET"]
    settings["portal_url"] = os.environ["PORTAL_URL"].rstrip("/")
    ThreadingHTTPServer(("", args.port), Events).serve_forever()


if __name__ == "__main__":
    main()
