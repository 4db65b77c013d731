"""Measure the cost of an Add-on SSO decision against the least any login must do.

Everything runs in one process through the Django test Client (the full middleware stack, the
view, the template and the session write), against a throw-away SQLite test database, with the
loopback fake of the Platform API (addons/heroku/fake/) served from a thread:

- trivial: GET of a view that returns "ok" — the floor of any request here;
- new session: POST of a view that does what every login must and nothing else: flush the
  session (a new key, so no session fixation) and save a new one with a value in it, then
  redirect. The SSO login is compared with this one (issue 16: at most 2x);
- sso-fresh: POST /sso/login of a person on a fresh access list (no Heroku call);
- sso-refetch: the same on a stale list, so the decision re-fetches that resource's list from
  the fake first (four Platform API calls, answered 304 from the stored ETags after the first);
- dashboard: GET /dashboard/<uuid>/ with the SSO session (re-checked against the stored list).

    python bench/sso_bench.py [--iterations 500] [--refetch-iterations 200] [--list-size 1000]
                              [--latency 0.0]

Results and the machine they were measured on are in docs/benchmarks.md, "SSO decision".
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sqlite3
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

# Runnable as `python bench/sso_bench.py` as well as `python -m bench.sso_bench`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django  # noqa: E402

django.setup()

from django.http import HttpResponse, HttpResponseRedirect  # noqa: E402
from django.urls import path  # noqa: E402

from portal.urls import urlpatterns as portal_urlpatterns  # noqa: E402


def trivial(request):
    return HttpResponse("ok")


def new_session(request):
    """What every login must do: drop the old session, store a new one, send the browser on."""
    request.session.flush()
    request.session["bench"] = request.POST.get("i", "")
    request.session.save()
    return HttpResponseRedirect("/")


urlpatterns = [
    path("bench/trivial", trivial),
    path("bench/new-session", new_session),
    *portal_urlpatterns,
]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(fn, iterations: int, before=None) -> tuple[list[float], list[float]]:
    """Return the wall and CPU times of ITERATIONS calls of FN(i), in ms; BEFORE(i) is untimed.

    CPU time (this process, every thread: the fake Heroku's too) is reported beside wall time
    because it is less sensitive to other load on the machine.
    """
    wall, cpu = [], []
    for i in range(iterations):
        if before is not None:
            before(i)
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(i)
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--refetch-iterations", type=int, default=200)
    parser.add_argument("--list-size", type=int, default=1000, help="people on the access list")
    parser.add_argument("--latency", type=float, default=0.0, help="fake Heroku latency, s/call")
    args = parser.parse_args(argv)
    # One log line per login would measure the console, not the decision.
    logging.getLogger("addons").setLevel(logging.WARNING)

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from accounts.models import Company
    from addons.access.sync import sync_resource
    from addons.heroku.fake import FakeHeroku
    from addons.models import Addon, AddonResource, Plan, SyncRun
    from tests.builders import sso_form

    connection.creation.create_test_db(verbosity=0)
    fake = FakeHeroku(latency=args.latency, record=False).start()
    people = [f"person{i:05}@example.com" for i in range(args.list_size)]
    resource_uuid, token = fake.world.add_resource(
        app_name="bench-app", owner=people[0], collaborators=people[1:]
    )
    overrides = override_settings(
        ROOT_URLCONF=__name__ if __name__ != "__main__" else "bench.sso_bench",
        HEROKU_API_URL=fake.url,
        HEROKU_ID_URL=fake.url,
        SYNC_CONCURRENCY=4,
        # As in production: no query log, and the test Client's host allowed.
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
    )
    overrides.enable()
    try:
        company = Company.objects.create(name="Bench", slug="bench")
        addon = Addon.objects.create(company=company, slug="bench", name="Bench")
        plan = Plan.objects.create(addon=addon, slug="basic", name="Basic")
        resource = AddonResource.objects.create(
            uuid=uuid.UUID(resource_uuid),
            addon=addon,
            plan=plan,
            state=AddonResource.State.PROVISIONED,
            app_name="bench-app",
            access_token=token,
            token_expires_at=timezone.now() + timedelta(hours=8),
        )
        assert sync_resource(resource, trigger=SyncRun.Trigger.CRON).ok
        assert resource.grants.count() == len(people)
        salt = addon.sso_salt

        used: set[tuple[str, int]] = set()

        def form(i: int) -> dict:
            email = people[i % len(people)]
            # Every token must be new (replay protection): step back a second on a repeat.
            ts = int(time.time())
            while (email, ts) in used:
                ts -= 1
            used.add((email, ts))
            return sso_form(
                resource, email=email, user_id=fake.world.user_id(email), timestamp=ts, salt=salt
            )

        client = Client()
        for _ in range(20):  # warm up imports, templates and connections
            client.get("/bench/trivial")

        def login(i: int) -> None:
            response = client.post("/sso/login", forms[i])
            assert response.status_code == 302, response.content[:300]

        def make_stale(i: int) -> None:
            AddonResource.objects.filter(pk=resource.pk).update(
                last_synced_at=timezone.now() - timedelta(seconds=settings.ACCESS_LIST_MAX_AGE + 1)
            )

        results = {}
        results["trivial view (GET)"] = timed(
            lambda i: client.get("/bench/trivial"), args.iterations
        )
        results["new session (POST: flush, save, redirect)"] = timed(
            lambda i: client.post("/bench/new-session", {"i": str(i)}), args.iterations
        )
        forms = [form(i) for i in range(args.iterations)]
        results["SSO login, fresh list"] = timed(login, args.iterations)
        dashboard = f"/dashboard/{resource.uuid}/"
        results["dashboard (GET, session re-check)"] = timed(
            lambda i: client.get(dashboard), args.iterations
        )
        forms = [form(args.iterations + i) for i in range(args.refetch_iterations)]
        results["SSO login, re-fetch (stale list)"] = timed(
            login, args.refetch_iterations, before=make_stale
        )
    finally:
        overrides.disable()
        fake.stop()

    floor = statistics.median(results["trivial view (GET)"][0])
    session_wall = statistics.median(results["new session (POST: flush, save, redirect)"][0])
    session_cpu = statistics.median(results["new session (POST: flush, save, redirect)"][1])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.machine()} {platform.system()}, "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the end; list of {args.list_size} "
        f"people; fake latency {args.latency * 1000:.0f} ms/call"
    )
    print()
    print(
        "| request | n | wall median ms | wall p95 ms | CPU median ms | CPU p95 ms | vs trivial "
        "| vs new session (wall) | vs new session (CPU) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, (wall, cpu) in results.items():
        median = statistics.median(wall)
        print(
            f"| {name} | {len(wall)} | {median:.2f} | {percentile(wall, 0.95):.2f} "
            f"| {statistics.median(cpu):.2f} | {percentile(cpu, 0.95):.2f} "
            f"| {median / floor:.0f}× | {median / session_wall:.1f}× "
            f"| {statistics.median(cpu) / session_cpu:.1f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
