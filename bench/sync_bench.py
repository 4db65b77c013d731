"""Benchmark `manage.py sync_access` against the fake Heroku: every figure of docs/benchmarks.md.

Starts the fake as a separate process with a generated world of N resources and a per-request
latency; measures the fake's own capacity first (latency 0, a load generator in two processes);
migrates a throwaway database (a SQLite file, or PostgreSQL with --postgres URL), seeds it with
matching AddonResource rows (tokens "token-<uuid>", as the generated world issues them), then:

1. times `manage.py sync_access --json --concurrency C` as a subprocess, whole process included,
   with its peak RSS (os.wait4): the first sync, then the unchanged re-sync (all 304);
2. runs a third, unchanged sync in-process and counts its writes (CaptureQueriesContext), and
   the queries of re-syncing a changed resource with a short and with the longest list;
3. times the straightforward client (bench/straightforward_sync.py) on --baseline resources.

    python bench/sync_bench.py --resources 1000 --latency 0.1 --concurrency 32
"""

from __future__ import annotations

import argparse
import contextlib
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
            "addons.heroku.fake",
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


def timed_with_rss(env: dict, args: list[str]) -> tuple[float, float, str]:
    """Run ARGS with ENV; return (wall seconds, that process's peak RSS in MB, stdout)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if process.returncode not in (0, 1):
            raise SystemExit(f"{args} failed ({process.returncode}):\n{err.read()}")
        return elapsed, usage.ru_maxrss / 1024, out.read()


def timed_sync(env: dict, concurrency: int) -> tuple[float, float, dict]:
    args = [sys.executable, "manage.py", "sync_access", "--json", "--concurrency", str(concurrency)]
    elapsed, rss, stdout = timed_with_rss(env, args)
    return elapsed, rss, json.loads(stdout.strip().splitlines()[-1])


def sequential_round_trips(teams: int, requests_made: int, resources: int) -> float:
    """Return the mean number of round trips a resource waits for one after another.

    Add-on, then (app ‖ collaborators), then team members for a team app: 2 or 3, plus every
    page after the first of a long list (pages are sequential)."""
    calls_without_paging = 3 * resources + teams  # addon, app, collaborators (+ members)
    extra_pages = max(requests_made - calls_without_paging, 0)
    return (2 * resources + teams + extra_pages) / resources


# The fake's own capacity ------------------------------------------------------------------


def _load_worker(url: str, world: list[dict], seconds: float, threads: int, queue) -> None:
    """Walk resources as a sync does (add-on, app, collaborators, members) for SECONDS."""
    import http.client
    import threading

    counts = []

    def run(offset):
        connection = http.client.HTTPConnection(url.split("//")[1], timeout=30)
        done, i = 0, offset
        deadline = time.monotonic() + seconds

        def get(path, token):
            connection.request(
                "GET",
                path,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/vnd.heroku+json; version=3",
                },
            )
            response = connection.getresponse()
            return json.loads(response.read() or b"null")

        while time.monotonic() < deadline:
            row = world[i % len(world)]
            i += threads
            addon = get(f"/addons/{row['uuid']}", row["token"])
            app = get(f"/apps/{addon['app']['id']}", row["token"])
            get(f"/apps/{addon['app']['id']}/collaborators", row["token"])
            done += 3
            if app.get("team"):
                get(f"/teams/{app['team']['id']}/members", row["token"])
                done += 1
        counts.append(done)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put(sum(counts))


def fake_capacity(url: str, world: list[dict], *, seconds=5.0, processes=2, threads=16) -> float:
    """Return the requests per second the fake serves at latency 0 under PROCESSES x THREADS."""
    import multiprocessing

    post(url, "latency", {"latency": 0})
    queue = multiprocessing.Queue()
    # Skip resource 0 (its 2,100-person list is one request in thousands in a sync, but would be
    # one in every few here).
    sample = world[1:]
    workers = [
        multiprocessing.Process(target=_load_worker, args=(url, sample, seconds, threads, queue))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    total = sum(queue.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total / seconds


def post(url: str, path: str, data: dict):
    request = urllib.request.Request(
        f"{url}/_fake/{path}", data=json.dumps(data).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


# In-process counts (run in a subprocess with the benchmark's environment) -------------------


def count_queries() -> dict:
    """Count the writes of an unchanged re-sync, and the queries of a changed resource's sync."""
    import collections
    import re

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from addons.access.sync import sync_resource
    from addons.models import AccessGrant, AddonResource, PlatformResponse

    # CaptureQueriesContext keeps only the last 9,000 queries by default; a big run has more.
    connection.queries_log = collections.deque(maxlen=10**7)

    def writes(queries):
        found = [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"])]
        by_table = {}
        for sql in found:
            table = re.search(r'(?:INTO|UPDATE|FROM) "?(\w+)"?', sql)[1]
            by_table[f"{sql.split()[0]} {table}"] = by_table.get(f"{sql.split()[0]} {table}", 0) + 1
        return len(found), by_table

    with CaptureQueriesContext(connection) as queries:
        call_command("sync_access", "--json", stdout=open(os.devnull, "w"))
    total, by_table = writes(queries.captured_queries)
    resources = AddonResource.objects.count()

    # A changed resource: forget two people of a short list and of the longest list, and the
    # stored answers, so that the next sync fetches everything and adds them back.
    longest = (
        AddonResource.objects.annotate(n=django.db.models.Count("grants")).order_by("-n").first()
    )
    short = (
        AddonResource.objects.annotate(n=django.db.models.Count("grants"))
        .filter(n__gte=3, n__lte=20)
        .first()
    )
    changed = {}
    for resource in (short, longest):
        size = resource.n
        victims = AccessGrant.objects.filter(resource=resource).values_list("pk", flat=True)[:2]
        AccessGrant.objects.filter(pk__in=list(victims)).delete()
        PlatformResponse.objects.filter(resource=resource).delete()
        AddonResource.objects.filter(pk=resource.pk).update(last_synced_at=None)
        with CaptureQueriesContext(connection) as queries:
            outcome = sync_resource(resource, trigger="cron")
        assert outcome.status == "synced" and outcome.added == 2, outcome
        changed[f"{size} people"] = len(queries.captured_queries)
    return {
        "unchanged_resync": {
            "resources": resources,
            "writes": total,
            "writes_per_resource": round(total / resources, 3),
            "by_statement": by_table,
        },
        "changed_resource_queries": changed,
    }


def versions(env: dict) -> dict:
    import sqlite3 as sqlite

    import django
    import requests

    found = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "requests": requests.__version__,
        "sqlite": sqlite.sqlite_version,
    }
    if env["DATABASE_URL"].startswith("postgres"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as db:
            found["postgresql"] = db.execute("SHOW server_version").fetchone()[0]
    return found


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu})"


@contextlib.contextmanager
def database(tmp: str, postgres: str | None):
    """Yield the DATABASE_URL of a throwaway database: a SQLite file, or one on POSTGRES."""
    if not postgres:
        yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    import psycopg
    from psycopg import sql

    name = f"portal_bench_{os.getpid()}"
    server = postgres.replace("postgres://", "postgresql://")
    base, _, _ = server.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as db:
            db.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000, help="resources in the world")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per fake request")
    parser.add_argument("--concurrency", type=int, default=32, help="sync_access --concurrency")
    parser.add_argument("--big", type=int, default=2100, help="people on resource 0's list")
    parser.add_argument(
        "--baseline",
        type=int,
        default=40,
        help="resources for the straightforward client (0: skip)",
    )
    parser.add_argument("--postgres", metavar="URL", help="use a throwaway database on this server")
    parser.add_argument("--skip-capacity", action="store_true", help="do not measure the fake")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--seed", help=argparse.SUPPRESS)  # internal: seed the database
    parser.add_argument("--count-queries", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed:
        return seed(args.seed)
    if args.count_queries:
        return print(json.dumps(count_queries()))

    port = free_port()
    fake = start_fake(resources=args.resources, latency=args.latency, big=args.big, port=port)
    url = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    result = {
        "resources": args.resources,
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "machine": machine(),
    }
    try:
        world = control(url, "world")
        if not args.skip_capacity:
            result["fake_capacity_requests_per_s"] = round(fake_capacity(url, world), 0)
            post(url, "latency", {"latency": args.latency})
        with (
            tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp,
            database(tmp, args.postgres) as database_url,
        ):
            env = {
                **os.environ,
                "DEBUG": "false",  # production settings: no query log, no debug cursor
                "SECRET_KEY": "sync-bench",
                "FIELD_ENCRYPTION_KEY": "c3luYy1iZW5jaC1maWVsZC1lbmNyeXB0aW9uLWtleTA=",
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                "DATABASE_URL": database_url,
                "HEROKU_API_URL": url,
                "HEROKU_ID_URL": url,
                "LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT),
            }
            result["versions"] = versions(env)
            manage(env, "migrate", "--no-input")
            world_file = Path(tmp) / "world.json"
            world_file.write_text(json.dumps(world))
            subprocess.run(
                [sys.executable, __file__, "--seed", str(world_file)], cwd=ROOT, env=env, check=True
            )
            control(url, "reset-counters")
            first_seconds, first_rss, first = timed_sync(env, args.concurrency)
            requests_made = control(url, "stats")["requests"]
            with connect(database_url) as db:
                teams = db.execute(
                    "SELECT COUNT(*) FROM addons_addonresource WHERE team_id != ''"
                ).fetchone()[0]
            depth = sequential_round_trips(teams, requests_made, args.resources)
            control(url, "reset-counters")
            second_seconds, second_rss, second = timed_sync(env, args.concurrency)
            second_requests = control(url, "stats")["requests"]
            counts = subprocess.run(
                [sys.executable, __file__, "--count-queries"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            result.update(json.loads(counts.stdout.strip().splitlines()[-1]))
            if args.baseline:
                base_seconds, _, base_out = timed_with_rss(
                    env,
                    [
                        sys.executable,
                        "bench/straightforward_sync.py",
                        "--limit",
                        str(args.baseline),
                    ],
                )
                base = json.loads(base_out.strip().splitlines()[-1])
                result["straightforward"] = {
                    "resources": base["resources"],
                    "seconds": round(base_seconds, 2),
                    "seconds_per_resource": round(base_seconds / base["resources"], 4),
                }
    finally:
        fake.terminate()
        fake.wait(timeout=10)

    bound = args.concurrency / (depth * args.latency)
    result.update(
        {
            "first_sync": {
                "seconds": round(first_seconds, 2),
                "resources_per_s": round(args.resources / first_seconds, 1),
                "seconds_per_resource": round(first_seconds / args.resources, 4),
                "requests": requests_made,
                "fake_load_requests_per_s": round(requests_made / first_seconds, 0),
                "peak_rss_mb": round(first_rss, 1),
                "report": {k: v for k, v in first.items() if k != "failures"},
            },
            "second_sync_unchanged": {
                "seconds": round(second_seconds, 2),
                "resources_per_s": round(args.resources / second_seconds, 1),
                "requests": second_requests,
                "peak_rss_mb": round(second_rss, 1),
                "report": {k: v for k, v in second.items() if k != "failures"},
            },
            "sequential_round_trips_per_resource": round(depth, 2),
            "latency_bound_resources_per_s": round(bound, 1),
            "first_sync_share_of_bound": round(args.resources / first_seconds / bound, 3),
            "unchanged_share_of_bound": round(args.resources / second_seconds / bound, 3),
            "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        }
    )
    if "straightforward" in result:
        result["speedup_per_resource"] = round(
            result["straightforward"]["seconds_per_resource"]
            / result["first_sync"]["seconds_per_resource"],
            1,
        )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_summary(result)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (results / f"sync-{stamp}.json").write_text(json.dumps(result, indent=2))


def connect(database_url: str):
    if database_url.startswith("sqlite"):
        return contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///")))
    import psycopg

    return psycopg.connect(database_url)


def print_summary(r: dict) -> None:
    first, second = r["first_sync"], r["second_sync_unchanged"]
    print(f"{r['resources']} resources, latency {r['latency_s']} s, concurrency {r['concurrency']}")
    if "fake_capacity_requests_per_s" in r:
        print(
            f"fake alone: {r['fake_capacity_requests_per_s']:.0f} requests/s; the first sync "
            f"asked {first['fake_load_requests_per_s']:.0f}/s of it"
        )
    print(
        f"first sync:  {first['seconds']:7.2f} s  {first['resources_per_s']:7.1f} resources/s "
        f"= {r['first_sync_share_of_bound']:.0%} of the bound "
        f"{r['latency_bound_resources_per_s']} ({r['sequential_round_trips_per_resource']} "
        f"round trips); peak RSS {first['peak_rss_mb']} MB"
    )
    print(
        f"unchanged:   {second['seconds']:7.2f} s  {second['resources_per_s']:7.1f} resources/s "
        f"= {r['unchanged_share_of_bound']:.0%}; {r['unchanged_resync']['writes']} writes "
        f"({r['unchanged_resync']['by_statement']})"
    )
    print(f"queries per changed resource: {r['changed_resource_queries']}")
    if "straightforward" in r:
        base = r["straightforward"]
        print(
            f"straightforward client: {base['seconds_per_resource']:.3f} s/resource on "
            f"{base['resources']}; sync_access {first['seconds_per_resource']:.4f} s/resource: "
            f"{r['speedup_per_resource']}x"
        )
    print(f"{r['machine']}; {r['versions']}; load average {r['load_average_before_after']}")


if __name__ == "__main__":
    main()
