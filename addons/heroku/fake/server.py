"""The fake's HTTP server: one World, latency, faults, a rate-limit pool and counters."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from addons.heroku.fake.control import ControlRoutes
from addons.heroku.fake.deliveries import RETRY_DELAYS, Dispatcher
from addons.heroku.fake.hooks import WebhookRoutes
from addons.heroku.fake.logplex import LogplexRoutes
from addons.heroku.fake.oauth import OAuthRoutes
from addons.heroku.fake.platform import PAGING_FAULTS, PlatformRoutes
from addons.heroku.fake.world import Fault, World, new_id


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
        deliver_webhooks: bool = False,
        webhook_retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ):
        self.world = world or World()
        # Webhook deliveries: sent by a background thread when DELIVER_WEBHOOKS (a fake in its
        # own process), else when a test calls `dispatcher.deliver_due()` or `drain()`.
        self.dispatcher = Dispatcher(self.world, retry_delays=webhook_retry_delays)
        self.deliver_webhooks = deliver_webhooks
        self.latency = latency
        self.rate_limit = rate_limit
        self.remaining = rate_limit
        self.faults: list[Fault] = []
        self.record = record
        self.requests: list[tuple[str, str, dict]] = []
        self.count = 0
        # Requests per path, kept even when RECORD is off (e.g. to check nothing is fetched twice).
        self.path_counts: Counter[str] = Counter()
        # Every write to an add-on (config, actions), in order, kept even when RECORD is off: the
        # lifecycle's tests assert what Heroku was told, in which order, how often.
        self.writes: list[dict] = []
        # Every line written to a log input URL (Logplex), with the path it was posted to.
        self.log_lines: list[dict] = []
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
        if self.deliver_webhooks:
            self.dispatcher.start()
        return self

    def stop(self) -> None:
        self.dispatcher.stop()
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

    def record_write(self, method: str, path: str, resource: str, body) -> None:
        with self.lock:
            self.writes.append({"method": method, "path": path, "resource": resource, "body": body})

    def writes_of(self, resource: str) -> list[str]:
        """Return "METHOD path" of every write to RESOURCE so far, in order."""
        with self.lock:
            return [f"{w['method']} {w['path']}" for w in self.writes if w["resource"] == resource]

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


class _Handler(
    PlatformRoutes, WebhookRoutes, OAuthRoutes, LogplexRoutes, ControlRoutes, BaseHTTPRequestHandler
):
    protocol_version = "HTTP/1.1"
    paging_fault = ""  # a fault of PAGING_FAULTS on this request's list, if any
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
        self.paging_fault = ""
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
        if path.startswith("/log-input/"):
            return self._log_input(method, path, body)
        with fake.lock:
            fake.remaining -= 1
            exhausted = fake.remaining < 0
        if exhausted:
            return self._error(429, "rate_limit", "Your account reached the API rate limit.")
        if path in self.ID_ROUTES:  # a person's login: authorize page and GET /account
            return self._id_route(method, path, body)
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
        if kind in PAGING_FAULTS:
            self.paging_fault = kind  # served by `_list`
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
