"""Load the Partner API and Add-on SSO with many concurrent clients against gunicorn on loopback.

    python bench/load.py [--clients 50] [--duration 30] [--same-rounds 10]
                         [--workers 4] [--threads 4] [--no-grant] [--conn-max-age 60]
    make load

What it does, so that each figure means one thing:

1. Creates a throwaway PostgreSQL database `portal_load_<random>` on the server of DATABASE_URL
   (default postgres://portal:portal@127.0.0.1:5432/portal), migrates it and seeds one company, one
   add-on with three plans, and SSO_RESOURCES resources whose access lists hold SSO_USERS people in
   all (fresh: no SSO decision needs a re-fetch). The database is dropped at the end.
2. Starts the loopback fake of Heroku (`python -m addons.heroku.fake`) as the OAuth endpoint, and
   `gunicorn portal.wsgi` (gthread, --workers × --threads) with the production settings
   (tests/production.py: DEBUG off, fresh secrets; plain http on loopback).
3. Phases, each with --clients threads (one HTTP keep-alive session each):
   - partner (--duration s): each client loops provision (a new uuid, with an OAuth grant the fake
     exchanges, unless --no-grant) → plan change → de-provision. Expected: 200, 200, 204.
   - sso (--duration s): each client posts a freshly signed SSO form of a person on the list
     (every token is new: a (person, second) pair is never reused). Expected: 302.
   - same-provision (--same-rounds rounds): all clients wait at a barrier, then send the SAME
     provision body (one uuid, one grant code) at once. Expected: every answer 200 with the same
     id, and exactly one row for the uuid afterwards.
4. Reports per phase: requests, throughput, p50/p99 latency, errors (any other status or a
   transport error), and for same-provision the rows per uuid. Writes JSON to bench/results/.

The client runs on the same machine as the server: on a small machine it takes CPU from gunicorn,
so the throughput is a floor. Results: docs/reliability.md, "Load".
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import requests

# Runnable as `python bench/load.py` as well as `python -m bench.load`.
BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from psycopg import sql  # noqa: E402

from tests.production import production_env  # noqa: E402
from tests.smoke.processes import _server_connection, free_port  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://portal:portal@127.0.0.1:5432/portal"
ADDON_SLUG = "load-addon"
API_PASSWORD = secrets.token_urlsafe(24)
SSO_SALT = secrets.token_hex(16)
CLIENT_SECRET = secrets.token_hex(16)
SSO_RESOURCES = 50
SSO_USERS = 20_000

SEED = """
import json, sys, uuid
from django.utils import timezone
from accounts.models import Company
from addons.models import AccessGrant, Addon, AddonResource, Plan

company = Company.objects.create(name="Load Co", slug="load-co")
addon = Addon.objects.create(
    company=company, slug="{slug}", name="Load Add-on", api_password="{password}",
    sso_salt="{salt}", oauth_client_secret="{secret}",
)
plans = [Plan.objects.create(addon=addon, slug=s, name=s.title()) for s in ("basic", "pro", "max")]
resources = [
    AddonResource(
        uuid=uuid.uuid4(), addon=addon, plan=plans[0], state="provisioned", name=f"sso-{{i}}",
        last_synced_at=timezone.now(), sync_status="ok",
    )
    for i in range({resources})
]
AddonResource.objects.bulk_create(resources)
grants = [
    AccessGrant(
        resource=resources[i % len(resources)], email=f"user{{i}}@example.com",
        heroku_user_id=f"user-{{i}}", sources=["collaborator"], role="collaborator",
        confirmed_at=timezone.now(),
    )
    for i in range({users})
]
AccessGrant.objects.bulk_create(grants, batch_size=2000)
json.dump([str(r.uuid) for r in resources], sys.stdout)
"""


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Recorder:
    """Latencies and outcomes of one phase, shared by its client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []

    def record(self, kind: str, started: float, response, expected: int) -> bool:
        elapsed = (time.perf_counter() - started) * 1000
        ok = response is not None and response.status_code == expected
        with self.lock:
            self.latencies[kind].append(elapsed)
            if not ok:
                status = "transport error" if response is None else response.status_code
                self.errors[f"{kind}: {status}"] += 1
                if len(self.examples) < 5 and response is not None:
                    self.examples.append(f"{kind} {response.status_code} {response.text[:200]}")
        return ok

    def summary(self, seconds: float) -> dict:
        every = [x for values in self.latencies.values() for x in values]
        result = {
            "requests": len(every),
            "seconds": round(seconds, 1),
            "throughput_rps": round(len(every) / seconds, 1) if seconds else 0,
            "p50_ms": round(percentile(every, 0.5), 1) if every else None,
            "p99_ms": round(percentile(every, 0.99), 1) if every else None,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "error_examples": self.examples,
            "by_kind": {},
        }
        for kind, values in self.latencies.items():
            result["by_kind"][kind] = {
                "requests": len(values),
                "p50_ms": round(percentile(values, 0.5), 1),
                "p99_ms": round(percentile(values, 0.99), 1),
                "mean_ms": round(statistics.fmean(values), 1),
            }
        return result


def send(session: requests.Session, method: str, url: str, **kwargs):
    try:
        return session.request(method, url, timeout=30, allow_redirects=False, **kwargs)
    except requests.RequestException:
        return None


class Load:
    def __init__(self, args, base_url: str, fake_url: str, sso_resources: list[str]):
        self.args = args
        self.base_url = base_url
        self.fake_url = fake_url
        self.sso_resources = sso_resources
        credentials = base64.b64encode(f"{ADDON_SLUG}:{API_PASSWORD}".encode()).decode()
        self.partner_headers = {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/json",
        }
        self.user_counter = 0
        self.counter_lock = threading.Lock()

    # Bodies ------------------------------------------------------------------------------------
    def grant_code(self, control: requests.Session, resource_uuid: str) -> str | None:
        if self.args.no_grant:
            return None
        answer = control.post(
            f"{self.fake_url}/_fake/grants",
            json={"resource": resource_uuid, "client_secret": CLIENT_SECRET},
            timeout=10,
        )
        return answer.json()["code"]

    def provision_body(self, resource_uuid: str, code: str | None) -> bytes:
        grant = None
        if code:
            expires = datetime.now(UTC).replace(microsecond=0).isoformat()
            grant = {"code": code, "expires_at": expires, "type": "authorization_code"}
        return json.dumps(
            {
                "uuid": resource_uuid,
                "name": f"load-{resource_uuid[:8]}",
                "plan": f"{ADDON_SLUG}:basic",
                "region": "amazon-web-services::us-east-1",
                "callback_url": f"https://api.heroku.com/addons/{resource_uuid}",
                "options": {},
                "oauth_grant": grant,
                # Loopback, nothing listening: the portal's log line must not leave the machine.
                "log_input_url": "https://token:secret@127.0.0.1:9/logs",
                "log_drain_token": "d.01234567-89ab-cdef-0123-456789abcdef",
            }
        ).encode()

    def sso_form(self) -> dict:
        with self.counter_lock:
            self.user_counter += 1
            index = self.user_counter % SSO_USERS
        # A (person, second) pair is never reused within SSO_USERS logins a second.
        from addons.sso.tokens import user_scoped_token

        resource_id = self.sso_resources[index % len(self.sso_resources)]
        timestamp = str(int(time.time()))
        user_id, email = f"user-{index}", f"user{index}@example.com"
        return {
            "resource_id": resource_id,
            "timestamp": timestamp,
            "user_scoped_resource_token": user_scoped_token(
                resource_id=resource_id,
                salt=SSO_SALT,
                timestamp=timestamp,
                user_id=user_id,
                email=email,
            ),
            "email": email,
            "user_id": user_id,
            "app": "load-app",
            "context_app": "load-app",
            "nav-data": "eyJhcHBuYW1lIjoibG9hZC1hcHAifQ==",
        }

    # Phases ------------------------------------------------------------------------------------
    def timed_phase(self, name: str, work) -> dict:
        recorder = Recorder()
        deadline = time.monotonic() + self.args.duration
        ready = threading.Barrier(self.args.clients + 1)

        def client():
            session, control = requests.Session(), requests.Session()
            ready.wait()
            while time.monotonic() < deadline:
                work(session, control, recorder)

        threads = [threading.Thread(target=client) for _ in range(self.args.clients)]
        for thread in threads:
            thread.start()
        ready.wait()
        started = time.monotonic()
        for thread in threads:
            thread.join()
        summary = recorder.summary(time.monotonic() - started)
        print(f"{name}: {json.dumps(summary, indent=None)}", flush=True)
        return summary

    def partner_cycle(self, session, control, recorder):
        resource_uuid = str(uuid.uuid4())
        body = self.provision_body(resource_uuid, self.grant_code(control, resource_uuid))
        url = f"{self.base_url}/heroku/resources"
        started = time.perf_counter()
        response = send(session, "POST", url, data=body, headers=self.partner_headers)
        if not recorder.record("provision", started, response, 200):
            return
        resource_url = f"{url}/{resource_uuid}"
        started = time.perf_counter()
        change = json.dumps({"plan": f"{ADDON_SLUG}:pro"}).encode()
        response = send(session, "PUT", resource_url, data=change, headers=self.partner_headers)
        recorder.record("plan change", started, response, 200)
        started = time.perf_counter()
        response = send(session, "DELETE", resource_url, headers=self.partner_headers)
        recorder.record("deprovision", started, response, 204)

    def sso_login(self, session, control, recorder):
        form = self.sso_form()
        started = time.perf_counter()
        response = send(session, "POST", f"{self.base_url}/sso/login", data=form)
        recorder.record("sso login", started, response, 302)
        session.cookies.clear()

    def same_provision(self) -> dict:
        """All clients send one identical provision body at once; count the rows per uuid."""
        from addons.models import AddonResource

        recorder = Recorder()
        control = requests.Session()
        rounds = []
        started = time.monotonic()
        for _ in range(self.args.same_rounds):
            resource_uuid = str(uuid.uuid4())
            body = self.provision_body(resource_uuid, self.grant_code(control, resource_uuid))
            barrier = threading.Barrier(self.args.clients)
            answers = []
            lock = threading.Lock()

            def client(body=body, barrier=barrier, answers=answers, lock=lock):
                session = requests.Session()
                barrier.wait()
                begun = time.perf_counter()
                response = send(
                    session,
                    "POST",
                    f"{self.base_url}/heroku/resources",
                    data=body,
                    headers=self.partner_headers,
                )
                if recorder.record("same provision", begun, response, 200):
                    with lock:
                        answers.append(response.json()["id"])

            threads = [threading.Thread(target=client) for _ in range(self.args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rows = AddonResource.objects.filter(uuid=resource_uuid).count()
            tokens = AddonResource.objects.filter(uuid=resource_uuid).exclude(access_token="")
            rounds.append(
                {
                    "uuid": resource_uuid,
                    "rows": rows,
                    "answers_200": len(answers),
                    "distinct_ids": len(set(answers)),
                    "with_tokens": tokens.count(),
                }
            )
        summary = recorder.summary(time.monotonic() - started)
        summary["rounds"] = rounds
        summary["duplicate_rows"] = sum(max(r["rows"] - 1, 0) for r in rounds)
        summary["missing_rows"] = sum(1 for r in rounds if r["rows"] == 0)
        print(f"same-provision: {json.dumps(summary)}", flush=True)
        return summary


def start(name: str, args: list[str], env: dict, log_dir: Path) -> subprocess.Popen:
    log = (log_dir / f"{name}.log").open("wb")
    return subprocess.Popen(
        args, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def versions() -> dict:
    import django
    import gunicorn
    import psycopg

    with _server_connection(os.environ["DATABASE_URL"]) as connection:
        server = connection.execute("SHOW server_version").fetchone()[0]
    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "psycopg": psycopg.__version__,
        "postgresql": server,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per timed phase")
    parser.add_argument("--same-rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--no-grant", action="store_true", help="provision without oauth_grant")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="CONN_MAX_AGE of the server (default 60, as shipped)",
    )
    parser.add_argument("--phases", default="partner,sso,same-provision")
    args = parser.parse_args(argv)

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not server_url.startswith("postgres"):
        raise SystemExit("bench/load.py needs DATABASE_URL to point at PostgreSQL")
    name = f"portal_load_{secrets.token_hex(4)}"
    database_url = server_url.rsplit("/", 1)[0] + f"/{name}"
    with _server_connection(server_url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log_dir = Path(tempfile.mkdtemp(prefix="portal-load-"))
    processes = []
    try:
        fake_port, port = free_port(), free_port()
        fake_url = f"http://127.0.0.1:{fake_port}"
        env = production_env(
            DATABASE_URL=database_url,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=f"http://127.0.0.1:{port}",
            SECURE_SSL_REDIRECT="false",
            EMAIL_URL="consolemail://",
            HEROKU_API_URL=fake_url,
            HEROKU_ID_URL=fake_url,
            STATIC_ROOT=str(log_dir / "static"),
            LOG_LEVEL="WARNING",
            CONN_MAX_AGE=str(args.conn_max_age),
        )
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", "--no-input", verbosity=0)
        call_command("collectstatic", "--no-input", verbosity=0)
        seed = SEED.format(
            slug=ADDON_SLUG,
            password=API_PASSWORD,
            salt=SSO_SALT,
            secret=CLIENT_SECRET,
            resources=SSO_RESOURCES,
            users=SSO_USERS,
        )
        seeded = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", seed],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        sso_resources = json.loads(seeded.stdout.strip().splitlines()[-1])

        processes.append(
            start(
                "fake",
                [sys.executable, "-m", "addons.heroku.fake", "--port", str(fake_port)],
                env,
                log_dir,
            )
        )
        processes.append(
            start(
                "gunicorn",
                [
                    *(sys.executable, "-m", "gunicorn", "portal.wsgi"),
                    *("--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"),
                    *("--workers", str(args.workers), "--threads", str(args.threads)),
                    *("--log-file", "-", "--no-control-socket", "--timeout", "60"),
                ],
                env,
                log_dir,
            )
        )
        wait_for(f"{fake_url}/_fake/stats")
        wait_for(f"http://127.0.0.1:{port}/admin/login/")

        load = Load(args, f"http://127.0.0.1:{port}", fake_url, sso_resources)
        results = {
            "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "clients": args.clients,
            "duration_s": args.duration,
            "gunicorn": f"{args.workers} workers × {args.threads} threads (gthread)",
            "oauth_grant": not args.no_grant,
            "conn_max_age": args.conn_max_age,
            "versions": versions(),
            "load_average_before": os.getloadavg(),
            "phases": {},
        }
        phases = args.phases.split(",")
        if "partner" in phases:
            results["phases"]["partner"] = load.timed_phase("partner", load.partner_cycle)
        if "sso" in phases:
            results["phases"]["sso"] = load.timed_phase("sso", load.sso_login)
        if "same-provision" in phases:
            results["phases"]["same-provision"] = load.same_provision()
        results["load_average_after"] = os.getloadavg()
    finally:
        for process in reversed(processes):
            stop(process)
        from django.db import connections

        connections.close_all()
        with _server_connection(server_url) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    out_dir = BASE_DIR / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"load-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out.relative_to(BASE_DIR)}; process logs in {log_dir}")
    failures = sum(phase["errors"] for phase in results["phases"].values())
    failures += results["phases"].get("same-provision", {}).get("duplicate_rows", 0)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
