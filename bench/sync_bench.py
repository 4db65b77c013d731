"""Benchmark a first (and a second, unchanged) `manage.py sync_access` against the fake Heroku.

Starts the fake as a separate process with a generated world of N resources and a per-request
latency, migrates a temporary SQLite file database, seeds it with matching AddonResource rows
(tokens "token-<uuid>", as the generated world issues them), then times `manage.py sync_access
--json --concurrency C` as a subprocess, whole process included. See bench/README.md.

    python bench/sync_bench.py --resources 1000 --latency 0.1 --concurrency 16
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_fake(*, resources: int, latency: float, big: int, port: int) -> subprocess.Popen:
    """Start the fake Heroku in its own process and wait until it serves."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.heroku",
            "--port",
            str(port),
            "--resources",
            str(resources),
            "--latency",
            str(latency),
            "--big",
            str(big),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if "fake Heroku on" not in line:
        process.kill()
        raise SystemExit(f"the fake did not start: {line!r}")
    return process


def control(url: str, path: str):
    with urllib.request.urlopen(f"{url}/_fake/{path}") as response:
        return json.load(response)


def manage(env: dict, *args: str, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
    )


def seed(world_file: str) -> None:
    """Create an add-on, a plan and one provisioned AddonResource per resource of WORLD_FILE."""
    import django

    django.setup()
    from accounts.models import Company
    from addons.models import Addon, AddonResource, Plan

    world = json.loads(Path(world_file).read_text())
    company = Company.objects.create(name="Bench", slug="bench")
    addon = Addon.objects.create(company=company, slug="acme-search", name="Acme Search")
    plan = Plan.objects.create(addon=addon, slug="basic", name="Basic")
    AddonResource.objects.bulk_create(
        (
            AddonResource(
                uuid=row["uuid"],
                addon=addon,
                plan=plan,
                state=AddonResource.State.PROVISIONED,
                access_token=row["token"],
            )
            for row in world
        ),
        batch_size=500,
    )


def timed_sync(env: dict, concurrency: int) -> tuple[float, dict]:
    started = time.monotonic()
    result = manage(env, "sync_access", "--json", "--concurrency", str(concurrency), check=False)
    elapsed = time.monotonic() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"sync_access failed ({result.returncode}):\n{result.stderr}")
    return elapsed, json.loads(result.stdout.strip().splitlines()[-1])


def sequential_round_trips(db_path: Path, requests_made: int, resources: int) -> float:
    """Return the mean number of round trips a resource waits for one after another.

    Add-on, then (app ‖ collaborators), then team members for a team app: 2 or 3, plus every
    page after the first of a long list (pages are sequential)."""
    with sqlite3.connect(db_path) as db:
        query = "SELECT COUNT(*) FROM addons_addonresource WHERE team_id != ''"
        teams = db.execute(query).fetchone()[0]
    calls_without_paging = 3 * resources + teams  # addon, app, collaborators (+ members)
    extra_pages = max(requests_made - calls_without_paging, 0)
    return (2 * resources + teams + extra_pages) / resources


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000, help="resources in the world")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per fake request")
    parser.add_argument("--concurrency", type=int, default=16, help="sync_access --concurrency")
    parser.add_argument("--big", type=int, default=2100, help="people on resource 0's list")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--seed", help=argparse.SUPPRESS)  # internal: seed the database
    args = parser.parse_args(argv)
    if args.seed:
        return seed(args.seed)

    port = free_port()
    fake = start_fake(resources=args.resources, latency=args.latency, big=args.big, port=port)
    url = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
            db_path = Path(tmp) / "bench.sqlite3"
            env = {
                **os.environ,
                "DEBUG": "true",
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                "DATABASE_URL": f"sqlite:///{db_path}",
                "HEROKU_API_URL": url,
                "HEROKU_ID_URL": url,
                "LOG_LEVEL": "WARNING",
            }
            manage(env, "migrate", "--no-input")
            world_file = Path(tmp) / "world.json"
            world_file.write_text(json.dumps(control(url, "world")))
            subprocess.run(
                [sys.executable, __file__, "--seed", str(world_file)],
                cwd=ROOT,
                env={**env, "PYTHONPATH": str(ROOT)},
                check=True,
            )
            control(url, "reset-counters")
            first_seconds, first = timed_sync(env, args.concurrency)
            requests_made = control(url, "stats")["requests"]
            depth = sequential_round_trips(db_path, requests_made, args.resources)
            control(url, "reset-counters")
            second_seconds, second = timed_sync(env, args.concurrency)
            second_requests = control(url, "stats")["requests"]
    finally:
        fake.terminate()
        fake.wait(timeout=10)

    bound = args.concurrency / (depth * args.latency)
    result = {
        "resources": args.resources,
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "first_sync": {
            "seconds": round(first_seconds, 2),
            "resources_per_s": round(args.resources / first_seconds, 1),
            "requests": requests_made,
            "report": {k: v for k, v in first.items() if k != "failures"},
        },
        "second_sync_unchanged": {
            "seconds": round(second_seconds, 2),
            "resources_per_s": round(args.resources / second_seconds, 1),
            "requests": second_requests,
            "report": {k: v for k, v in second.items() if k != "failures"},
        },
        "sequential_round_trips_per_resource": round(depth, 2),
        "latency_bound_resources_per_s": round(bound, 1),
        "first_sync_share_of_bound": round(args.resources / first_seconds / bound, 2),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        first_rate = result["first_sync"]["resources_per_s"]
        second_rate = result["second_sync_unchanged"]["resources_per_s"]
        print(
            f"{args.resources} resources, latency {args.latency} s, concurrency {args.concurrency}"
        )
        print(f"first sync:  {first_seconds:7.2f} s  {first_rate:7.1f} resources/s")
        print(f"second sync: {second_seconds:7.2f} s  {second_rate:7.1f} resources/s (unchanged)")
        print(
            f"latency bound: {args.concurrency} / ({depth:.2f} round trips x {args.latency} s)"
            f" = {bound:.1f} resources/s;"
            f" first sync reached {result['first_sync_share_of_bound']:.0%}"
        )
        print(result["machine"])
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (results / f"sync-{stamp}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
