"""How fast a collaborator removed on Heroku loses dashboard access through add-on webhooks.

Real processes on PostgreSQL: the fake Heroku (`python -m addons.heroku.fake`, delivering webhooks
from its own thread), gunicorn (the receiver) and a qcluster (subscriptions, re-fetches). Heroku
(played here) provisions RESOURCES resources through the Partner API, each with COLLABORATORS
collaborators; the cluster syncs and subscribes each. Then, one at a time, a collaborator is
removed on the fake (its control API), and the benchmark polls the database every 2 ms until that
person's AccessGrant is gone: a dashboard session is re-checked against that row on every request,
so its absence is the loss of access. Two figures per removal, from the moment the control API
call returns (the fake then sends the delivery; that includes its pick-up, at most 20 ms):
`removed` (the receiver's early removal committed) and `re-fetched` (the cluster's re-fetch of the
whole list finished: the resource's last_synced_at moved).

    .venv/bin/python bench/webhook_bench.py --postgres postgres://portal:portal@127.0.0.1:5432/portal
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from sync_bench import database, machine  # noqa: E402

from tests.addons.partner_api.partner_api import basic_auth, provision_body  # noqa: E402
from tests.production import manage, production_env  # noqa: E402
from tests.smoke.processes import (  # noqa: E402
    free_port,
    running_fake_heroku,
    running_gunicorn,
    running_qcluster,
)
from tests.smoke.test_access_sync import ADDON_SLUG, CLIENT_SECRET, create_addon  # noqa: E402


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    rank = max(round(share * len(ordered) + 0.5) - 1, 0)
    return ordered[min(rank, len(ordered) - 1)]


def wait(condition, *, timeout: float, what: str, step: float = 0.002) -> float:
    """Poll CONDITION until true; return when (monotonic). Raise after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(step)
    return time.monotonic()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--resources", type=int, default=10)
    parser.add_argument("--collaborators", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    with database(str(tmp), args.postgres) as url:
        env = production_env(
            DATABASE_URL=url,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL="http://127.0.0.1",
            SECURE_SSL_REDIRECT="false",
            STATIC_ROOT=str(tmp / "static"),
            EMAIL_URL="consolemail://",
        )
        assert manage("migrate", "--no-input", env=env).returncode == 0
        result = run(env, url, args, tmp)
    result["machine"] = machine()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def run(env: dict, url: str, args, tmp: Path) -> dict:
    port = free_port()
    with running_fake_heroku(tmp) as fake:
        env = {
            **env,
            "HEROKU_API_URL": fake.url,
            "HEROKU_ID_URL": fake.url,
            "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
        }
        password = "bench-password-0123456789abcdef"
        create_addon(env, password=password)
        with (
            running_qcluster(env, tmp),
            running_gunicorn(env, tmp, port=port) as web,
            psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as db,
        ):
            people = {}
            for i in range(args.resources):
                emails = [f"c{i}-{j}@example.com" for j in range(args.collaborators)]
                created = fake.json(
                    "POST",
                    "/_fake/resources",
                    {"owner": f"o{i}@example.com", "collaborators": emails},
                )
                code = fake.json(
                    "POST",
                    "/_fake/grants",
                    {"resource": created["uuid"], "client_secret": CLIENT_SECRET},
                )["code"]
                body = provision_body(created["uuid"], plan=f"{ADDON_SLUG}:basic", code=code)
                answer = web.request(
                    "POST",
                    "/heroku/resources",
                    json_body=body,
                    headers={"Authorization": basic_auth(ADDON_SLUG, password)},
                )
                assert answer.status == 200, answer.body
                people[created["uuid"]] = emails
            wait(
                lambda: (
                    len(fake.json("GET", "/_fake/webhooks")) == args.resources
                    and granted(db) == args.resources * (args.collaborators + 1)
                ),
                timeout=120,
                what="every resource synced and subscribed",
                step=0.2,
            )
            removed, refetched = [], []
            for uuid, emails in people.items():
                for email in emails[:-1]:  # keep one collaborator: never an impossible list
                    before = last_synced(db, uuid)
                    fake.json("DELETE", "/_fake/collaborators", {"resource": uuid, "email": email})
                    start = time.monotonic()
                    gone = wait(
                        lambda uuid=uuid, email=email: not has_grant(db, uuid, email),
                        timeout=30,
                        what=f"{email} losing access",
                    )
                    done = wait(
                        lambda uuid=uuid, before=before: last_synced(db, uuid) != before,
                        timeout=30,
                        what=f"the re-fetch of {uuid}",
                        step=0.005,
                    )
                    removed.append(gone - start)
                    refetched.append(done - start)
            deliveries = fake.json("GET", "/_fake/webhook-deliveries")
    statuses = {}
    for delivery in deliveries:
        statuses[delivery["status"]] = statuses.get(delivery["status"], 0) + 1
    return {
        "removals": len(removed),
        "removed_p50_ms": round(1000 * statistics.median(removed), 1),
        "removed_p99_ms": round(1000 * percentile(removed, 0.99), 1),
        "removed_max_ms": round(1000 * max(removed), 1),
        "refetched_p50_ms": round(1000 * statistics.median(refetched), 1),
        "refetched_p99_ms": round(1000 * percentile(refetched, 0.99), 1),
        "refetched_max_ms": round(1000 * max(refetched), 1),
        "deliveries": statuses,
    }


def granted(db) -> int:
    return db.execute("SELECT count(*) FROM addons_accessgrant").fetchone()[0]


def has_grant(db, uuid: str, email: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM addons_accessgrant g JOIN addons_addonresource r ON g.resource_id = r.id"
        " WHERE r.uuid = %s AND g.email = %s",
        [uuid, email],
    ).fetchone()
    return row is not None


def last_synced(db, uuid: str):
    return db.execute(
        "SELECT last_synced_at FROM addons_addonresource WHERE uuid = %s", [uuid]
    ).fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
