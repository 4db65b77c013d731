"""A loopback fake of the Heroku Platform API and of id.heroku.com's OAuth token endpoint.

It serves real HTTP on 127.0.0.1, so the portal's real client, sessions, timeouts and threads are
exercised. Response shapes follow the `example` values of the Platform API schema in
`../shared/heroku/platform-api-schema.json`; behaviour follows `../shared/heroku/API-NOTES.md`:

- `Authorization: Bearer <token>`: a token is bound to one add-on resource and may read only that
  resource's add-on, app, collaborators and team members (anything else: 403 `forbidden`);
  an unknown or expired token answers 401 `unauthorized`.
- Lists are paged: `Range: <field> ..; max=N` (default 200, at most 1000); a truncated list
  answers 206 with `Next-Range: <field> ]<last>..; max=N`.
- Every 200 carries an `ETag`; `If-None-Match` with the current one answers 304 with no body.
- `RateLimit-Remaining` on every answer; an empty pool answers 429 `rate_limit`.
- `POST /oauth/token` exchanges an authorization code (single use, with the add-on's client
  secret) or a refresh token for tokens.

Use it in-process (`with FakeHeroku() as fake: ...`, or the `fake_heroku` pytest fixture), or as a
separate process for benchmarks and smoke tests:

    python -m tests.fakes.heroku --port 5050 --resources 1000 --latency 0.1

A separate process is driven through its control API under `/_fake/` (see `_control`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import secrets
import signal
import socket
import sys
import threading
import time
import uuid as uuidlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

ISO = "2026-01-01T12:00:00Z"
MAX_PAGE = 1000
DEFAULT_PAGE = 200
TOKEN_TTL = 28800


def new_id() -> str:
    return str(uuidlib.uuid4())


@dataclass
class Fault:
    """A fault to inject into matching requests.

    kind: an HTTP status as a string ("500", "502", "503", "404", "429", "401", …), "reset"
    (close the connection without answering), "timeout" (answer after `delay` seconds),
    "malformed" (200 with a body that is not JSON), or "partial-no-next-range" (206 without a
    Next-Range header). `match` is a substring of the request path (or "" for every request);
    `times` is how many requests it hits (None: until cleared); `retry_after`, when set, is sent
    as the Retry-After header of an HTTP status fault.
    """

    kind: str
    match: str = ""
    times: int | None = None
    delay: float = 30.0
    retry_after: str | None = None
    hits: int = 0

    def applies(self, path: str) -> bool:
        return self.match in path and (self.times is None or self.hits < self.times)


@dataclass
class World:
    """What the fake Heroku knows: add-on resources, apps, collaborators, teams and tokens."""

    addons: dict[str, dict] = field(default_factory=dict)  # resource uuid -> add-on JSON
    apps: dict[str, dict] = field(default_factory=dict)  # app id -> app JSON
    collaborators: dict[str, list[dict]] = field(default_factory=dict)  # app id -> list
    team_members: dict[str, list[dict]] = field(default_factory=dict)  # team id -> list
    tokens: dict[str, dict] = field(default_factory=dict)  # access token -> {resource, expires}
    refresh_tokens: dict[str, dict] = field(default_factory=dict)  # refresh token -> {resource}
    grants: dict[str, dict] = field(default_factory=dict)  # code -> {resource, client_secret}
    users: dict[str, str] = field(default_factory=dict)  # lower-case email -> user id

    # Building the world --------------------------------------------------------------------
    def user_id(self, email: str) -> str:
        return self.users.setdefault(email.lower(), new_id())

    def add_resource(
        self,
        resource_uuid: str | None = None,
        *,
        app_name: str | None = None,
        owner: str = "owner@example.com",
        collaborators: list[str] | tuple[str, ...] = (),
        team: str | None = None,
        members: list[str] | tuple[str, ...] = (),
        token: str | None = None,
        plan: str = "acme-search:basic",
    ) -> tuple[str, str]:
        """Add an add-on resource on a new app; return (resource uuid, access token).

        A personal app (team=None) lists its owner among its collaborators, as Heroku does. A team
        app lists the given collaborators; its team has the given members.
        """
        resource_uuid = str(resource_uuid or new_id())
        app_id = new_id()
        app_name = app_name or f"app-{app_id[:8]}"
        team_json = None
        if team is not None:
            team_id = new_id()
            team_json = {"id": team_id, "name": team}
            self.team_members[team_id] = [self.member_json(email) for email in members]
        self.apps[app_id] = {
            "id": app_id,
            "name": app_name,
            "owner": {"email": owner, "id": self.user_id(owner)},
            "team": team_json,
            "organization": team_json,
            "region": {"id": new_id(), "name": "us"},
            "created_at": ISO,
            "updated_at": ISO,
            "web_url": f"https://{app_name}.herokuapp.com/",
        }
        people = list(collaborators)
        if team is None and owner.lower() not in {p.lower() for p in people}:
            people.insert(0, owner)
        self.collaborators[app_id] = [
            self.collaborator_json(app_id, email, role="owner" if email == owner else None)
            for email in people
        ]
        self.addons[resource_uuid] = {
            "id": resource_uuid,
            "name": f"acme-search-{resource_uuid[:8]}",
            "app": {"id": app_id, "name": app_name},
            "addon_service": {"id": new_id(), "name": plan.split(":")[0]},
            "plan": {"id": new_id(), "name": plan},
            "state": "provisioned",
            "config_vars": [],
            "created_at": ISO,
            "updated_at": ISO,
        }
        token = token or f"token-{resource_uuid}"
        self.tokens[token] = {"resource": resource_uuid, "expires": time.time() + TOKEN_TTL}
        return resource_uuid, token

    def collaborator_json(self, app_id: str, email: str, role: str | None = None) -> dict:
        app = self.apps[app_id]
        return {
            "id": new_id(),
            "app": {"id": app_id, "name": app["name"]},
            "created_at": ISO,
            "updated_at": ISO,
            "permissions": [{"name": "view", "description": "Can view the app."}],
            "role": role or ("member" if app.get("team") else "collaborator"),
            "user": {"email": email, "federated": False, "id": self.user_id(email)},
        }

    def member_json(self, email: str, role: str = "member") -> dict:
        user_id = self.user_id(email)
        return {
            "id": new_id(),
            "created_at": ISO,
            "updated_at": ISO,
            "email": email,
            "federated": False,
            "role": role,
            "two_factor_authentication": True,
            "user": {"email": email, "id": user_id, "name": email.split("@")[0]},
        }

    def app_of(self, resource_uuid: str) -> dict:
        return self.apps[self.addons[resource_uuid]["app"]["id"]]

    def add_collaborator(self, resource_uuid: str, email: str) -> None:
        app = self.app_of(resource_uuid)
        self.collaborators[app["id"]].append(self.collaborator_json(app["id"], email))

    def remove_collaborator(self, resource_uuid: str, email: str) -> None:
        app = self.app_of(resource_uuid)
        self.collaborators[app["id"]] = [
            c for c in self.collaborators[app["id"]] if c["user"]["email"].lower() != email.lower()
        ]

    def add_member(self, resource_uuid: str, email: str) -> None:
        team = self.app_of(resource_uuid)["team"]
        self.team_members[team["id"]].append(self.member_json(email))

    def remove_member(self, resource_uuid: str, email: str) -> None:
        team = self.app_of(resource_uuid)["team"]
        self.team_members[team["id"]] = [
            m for m in self.team_members[team["id"]] if m["email"].lower() != email.lower()
        ]

    def remove_addon(self, resource_uuid: str) -> None:
        self.addons.pop(resource_uuid, None)

    def expected_emails(self, resource_uuid: str) -> set[str]:
        """Return the lower-cased emails that may use RESOURCE: the truth a sync must reach."""
        app = self.app_of(resource_uuid)
        emails = {c["user"]["email"].lower() for c in self.collaborators[app["id"]]}
        if app.get("team"):
            emails |= {m["email"].lower() for m in self.team_members[app["team"]["id"]]}
        return emails

    def create_grant(self, resource_uuid: str, client_secret: str) -> str:
        """Return a new single-use authorization code for RESOURCE (as sent at provisioning)."""
        code = secrets.token_hex(16)
        self.grants[code] = {"resource": str(resource_uuid), "client_secret": client_secret}
        return code

    def expire_token(self, token: str) -> None:
        self.tokens[token]["expires"] = 0

    @classmethod
    def generate(cls, n: int, *, seed: int = 1, big: int = 2100) -> World:
        """Return a world of N resources: 60% team apps with 5 to 40 collaborators and up to 200
        team members; resource 0 is a team app with a list of BIG people."""
        rng = random.Random(seed)
        world = cls()
        for i in range(n):
            resource_uuid = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
            if i == 0 and big:
                people = [f"user{i}-{j}@example.com" for j in range(big)]
                world.add_resource(
                    resource_uuid,
                    team=f"team-{i}",
                    collaborators=people[:40],
                    members=people[40:],
                )
            elif rng.random() < 0.6:
                collaborators = [f"c{i}-{j}@example.com" for j in range(rng.randint(5, 40))]
                members = [f"m{i}-{j}@example.com" for j in range(rng.randint(0, 200))]
                world.add_resource(
                    resource_uuid, team=f"team-{i}", collaborators=collaborators, members=members
                )
            else:
                collaborators = [f"c{i}-{j}@example.com" for j in range(rng.randint(0, 10))]
                world.add_resource(
                    resource_uuid, owner=f"owner{i}@example.com", collaborators=collaborators
                )
        return world


class FakeHeroku:
    """The fake's server: one World, latency, faults, a rate-limit pool and counters."""

    def __init__(
        self,
        world: World | None = None,
        *,
        latency: float = 0.0,
        port: int = 0,
        rate_limit: int = 4500,
        record: bool = True,
    ):
        self.world = world or World()
        self.latency = latency
        self.rate_limit = rate_limit
        self.remaining = rate_limit
        self.faults: list[Fault] = []
        self.record = record
        self.requests: list[tuple[str, str, dict]] = []
        self.count = 0
        # Requests per path, kept even when RECORD is off (e.g. to check nothing is fetched twice).
        self.path_counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.fake = self
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeHeroku:
        # shutdown() waits for the serving loop's next poll: at the default 0.5 s, that was half a
        # second added to every test that uses the fake.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeHeroku:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def inject(self, kind: str, match: str = "", times: int | None = None, **kwargs) -> Fault:
        """Make matching requests fail with KIND (see `Fault`); return the fault."""
        fault = Fault(kind=kind, match=match, times=times, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def paths(self) -> list[str]:
        """Return the paths requested so far, in order."""
        return [path for _, path, _ in self.requests]

    def reset_counters(self) -> None:
        with self.lock:
            self.requests.clear()
            self.count = 0
            self.path_counts.clear()
            self.remaining = self.rate_limit

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.applies(path):
                    fault.hits += 1
                    return fault
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    fake: FakeHeroku


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write (see `_send`) with Nagle off: otherwise the body waits
    # for the client's delayed ACK of the headers, adding ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format, *args):  # quiet
        pass

    @property
    def fake(self) -> FakeHeroku:
        return self.server.fake

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # Plumbing ------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any = None, headers: dict | None = None, raw=None):
        if raw is not None:
            body = raw
        elif isinstance(payload, bytes):
            body = payload  # already serialized (see `_ok`)
        else:
            body = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", new_id())
        self.send_header("RateLimit-Remaining", str(max(self.fake.remaining, 0)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self._headers_buffer.append(b"\r\n")
        if body:
            self._headers_buffer.append(body)
        self.flush_headers()

    def _error(self, status: int, error_id: str, message: str):
        self._send(status, {"id": error_id, "message": message})

    def _dispatch(self, method: str):
        path = self.path.split("?", 1)[0]
        body = self._body()
        fake = self.fake
        if path.startswith("/_fake/"):
            return self._control(method, path, body)
        with fake.lock:
            fake.count += 1
            fake.path_counts[path] += 1
            if fake.record:
                fake.requests.append((method, path, dict(self.headers)))
        if fake.latency:
            time.sleep(fake.latency)  # the simulated network round trip
        fault = fake._take_fault(path)
        if fault is not None and self._apply_fault(fault):
            return
        if path == "/oauth/token" and method == "POST":
            return self._oauth(body)
        with fake.lock:
            fake.remaining -= 1
            exhausted = fake.remaining < 0
        if exhausted:
            return self._error(429, "rate_limit", "Your account reached the API rate limit.")
        resource = self._authorize()
        if resource is None:
            return
        self._platform(method, path, resource, body)

    def _apply_fault(self, fault: Fault) -> bool:
        kind = fault.kind
        if kind == "reset":
            self.close_connection = True
            try:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            except OSError:
                pass
            self.connection.close()
            return True
        if kind == "timeout":
            time.sleep(fault.delay)
            return False
        if kind == "malformed":
            self._send(200, raw=b'{"id": "truncated', headers={"ETag": '"broken"'})
            return True
        if kind == "partial-no-next-range":
            self._send(206, [], headers={"Content-Range": "id 0..0; max=1000"})
            return True
        if kind.isdigit():
            status = int(kind)
            ids = {401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "rate_limit"}
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            if status >= 500:
                self._send(status, raw=b"", headers=headers)
            else:
                error_id = ids.get(status, "invalid_params")
                self._send(status, {"id": error_id, "message": f"injected {status}"}, headers)
            return True
        raise ValueError(f"unknown fault kind {kind!r}")

    def _authorize(self) -> str | None:
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        grant = self.fake.world.tokens.get(token)
        if grant is None or grant["expires"] < time.time():
            self._error(401, "unauthorized", "Invalid credentials provided.")
            return None
        if self.headers.get("Accept") != "application/vnd.heroku+json; version=3":
            self._error(400, "bad_request", "Accept: application/vnd.heroku+json; version=3")
            return None
        return grant["resource"]

    # The Platform API ----------------------------------------------------------------------
    def _platform(self, method: str, path: str, resource: str, body: bytes):
        world = self.fake.world
        addon = world.addons.get(resource)
        app = world.apps.get(addon["app"]["id"]) if addon else None
        if m := re.fullmatch(r"/addons/([^/]+)", path):
            if m[1] != resource:
                return self._error(403, "forbidden", "You do not have access to the add-on.")
            if addon is None:
                return self._error(404, "not_found", "Couldn't find that add-on.")
            return self._ok(addon)
        if addon is None:
            return self._error(404, "not_found", "Couldn't find that add-on.")
        if m := re.fullmatch(r"/addons/([^/]+)/(config|actions/provision)", path):
            if m[1] != resource:
                return self._error(403, "forbidden", "You do not have access to the add-on.")
            if m[2] == "actions/provision":
                addon["state"] = "provisioned"
                return self._send(200, addon)
            if method == "PATCH":
                addon["config"] = json.loads(body or b"{}").get("config", [])
            return self._send(200, addon.get("config", []))
        if m := re.fullmatch(r"/apps/([^/]+)(/collaborators)?", path):
            if m[1] not in (app["id"], app["name"]):
                return self._error(403, "forbidden", "You do not have access to the app.")
            if m[2]:
                return self._list(world.collaborators[app["id"]], default_field="id")
            return self._ok(app)
        if m := re.fullmatch(r"/teams/([^/]+)/members", path):
            team = app.get("team")
            if not team or m[1] not in (team["id"], team["name"]):
                return self._error(403, "forbidden", "You do not have access to the team.")
            return self._list(world.team_members[team["id"]], default_field="email")
        return self._error(404, "not_found", f"No route for {method} {path}.")

    def _ok(self, payload, status=200, headers=None):
        # Serialize once: the ETag is the digest of the very bytes sent.
        body = json.dumps(payload).encode()
        etag = f'"{hashlib.sha1(body).hexdigest()}"'
        if status in (200, 206) and self.headers.get("If-None-Match") == etag:
            return self._send(304, None, {"ETag": etag})
        return self._send(status, body, {"ETag": etag, **(headers or {})})

    def _list(self, items: list[dict], default_field: str):
        range_header = self.headers.get("Range", f"{default_field} ..")
        m = re.fullmatch(
            r"\s*(\w+)\s+(\]?)(.*?)\.\.([^;]*)(?:;\s*max=(\d+))?\s*(?:;.*)?", range_header
        )
        if not m:
            return self._error(400, "bad_request", f"Malformed Range header {range_header!r}")
        range_field, exclusive, start, _, max_ = m.groups()
        size = min(int(max_ or DEFAULT_PAGE), MAX_PAGE)

        def key(item):
            return str(item.get(range_field) or item.get("user", {}).get(range_field) or "")

        ordered = sorted(items, key=key)
        if start:
            ordered = [i for i in ordered if (key(i) > start if exclusive else key(i) >= start)]
        page = ordered[:size]
        headers = {}
        if page:
            headers["Content-Range"] = f"{range_field} {key(page[0])}..{key(page[-1])}; max={size}"
        if len(ordered) > size:
            headers["Next-Range"] = f"{range_field} ]{key(page[-1])}..; max={size}"
            return self._ok(page, status=206, headers=headers)  # pages carry ETags too
        return self._ok(page, headers=headers)

    # OAuth ---------------------------------------------------------------------------------
    def _oauth(self, body: bytes):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        world = self.fake.world
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = world.grants.pop(form.get("code", ""), None)
            if grant is None or grant["client_secret"] != form.get("client_secret"):
                return self._error(401, "unauthorized", "Invalid authorization code.")
            resource = grant["resource"]
        elif grant_type == "refresh_token":
            refresh = world.refresh_tokens.get(form.get("refresh_token", ""))
            if refresh is None or refresh["client_secret"] != form.get("client_secret"):
                return self._error(401, "unauthorized", "Invalid refresh token.")
            resource = refresh["resource"]
        else:
            return self._error(400, "invalid_params", "Unsupported grant_type.")
        access, refresh_token = secrets.token_hex(16), secrets.token_hex(16)
        world.tokens[access] = {"resource": resource, "expires": time.time() + TOKEN_TTL}
        world.refresh_tokens[refresh_token] = {
            "resource": resource,
            "client_secret": form.get("client_secret"),
        }
        self._send(
            200,
            {
                "access_token": access,
                "refresh_token": refresh_token,
                "expires_in": TOKEN_TTL,
                "token_type": "Bearer",
                "user_id": new_id(),
                "session_nonce": None,
            },
        )

    # Control API (for a fake in another process) --------------------------------------------
    def _control(self, method: str, path: str, body: bytes):
        fake = self.fake
        data = json.loads(body or b"{}")
        if path == "/_fake/stats":
            return self._send(200, {"requests": fake.count, "remaining": fake.remaining})
        if path == "/_fake/counts":  # requests per path since the last reset
            with fake.lock:
                return self._send(200, dict(fake.path_counts))
        if path == "/_fake/reset-counters":
            fake.reset_counters()
            return self._send(200, {})
        if path == "/_fake/latency":
            fake.latency = float(data["latency"])
            return self._send(200, {})
        if path == "/_fake/faults":
            if method == "DELETE":
                fake.clear_faults()
            else:
                fake.inject(**data)
            return self._send(200, {})
        if path == "/_fake/resources":  # add one resource; answers its uuid and token
            resource_uuid, token = fake.world.add_resource(**data)
            return self._send(200, {"uuid": resource_uuid, "token": token})
        if path == "/_fake/grants":
            code = fake.world.create_grant(data["resource"], data["client_secret"])
            return self._send(200, {"code": code})
        if path == "/_fake/collaborators":  # add (POST) or remove (DELETE) one collaborator
            if method == "DELETE":
                fake.world.remove_collaborator(data["resource"], data["email"])
            else:
                fake.world.add_collaborator(data["resource"], data["email"])
            return self._send(200, {})
        if path == "/_fake/expected":
            return self._send(200, sorted(fake.world.expected_emails(data["resource"])))
        if path == "/_fake/world":  # the generated world's resources and their tokens
            tokens = {v["resource"]: k for k, v in fake.world.tokens.items()}
            return self._send(200, [{"uuid": u, "token": tokens.get(u)} for u in fake.world.addons])
        return self._error(404, "not_found", f"No control route {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve a fake Heroku Platform API on loopback.")
    parser.add_argument("--port", type=int, default=5050)
    parser.add_argument("--resources", type=int, default=0, help="size of the generated world")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big", type=int, default=2100, help="list size of resource 0")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--rate-limit", type=int, default=10**9)
    args = parser.parse_args(argv)
    world = World.generate(args.resources, seed=args.seed, big=args.big) if args.resources else None
    fake = FakeHeroku(
        world, latency=args.latency, port=args.port, rate_limit=args.rate_limit, record=False
    )
    # SIGTERM ends it cleanly (exit status 0), as the smoke fixtures expect of their processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"fake Heroku on {fake.url} with {len(fake.world.addons)} resources", flush=True)
    # SIGTERM (how tests and process managers stop it) ends it as cleanly as Ctrl-C: exit 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.server.server_close()


if __name__ == "__main__":
    main()
