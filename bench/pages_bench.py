"""Time the portal's biggest list pages and count their queries (Django test client, in-process).

Seeds a temporary SQLite file database with a company of --users company users, --resources
add-on resources and --tickets tickets, then renders each page --repeat times:

- the Company tab (`/company/<slug>/users/`) as a manager of that company,
- the Django admin's add-on resource list as a superuser,
- the ticket list (`/tickets/`) as a company user who handles tickets.

    python bench/pages_bench.py                 # 500 users, 10,000 resources, 5,000 tickets
    python bench/pages_bench.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=7, help="renders per page (median)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="pages-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings_test",
        DATABASE_URL=f"sqlite:///{tmp}/pages.sqlite3",
        DEBUG="false",  # time the pages as production renders them
        SECRET_KEY="pages-bench",
        FIELD_ENCRYPTION_KEY="bTBwcGVyZm9ybWFuY2UtYmVuY2gtZmllbGQta2V5MDA=",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import Company, CompanyUser, User
    from accounts.permissions import Permission
    from addons.models import Addon, AddonResource, Plan, Ticket

    call_command("migrate", verbosity=0)
    company = Company.objects.create(name="Bench", slug="bench")
    users = User.objects.bulk_create(
        User(email=f"user{i}@example.com", password="!") for i in range(args.users)
    )
    CompanyUser.objects.bulk_create(
        CompanyUser(company=company, user=user, permissions=frozenset(Permission)) for user in users
    )
    addon = Addon.objects.create(company=company, slug="acme-search", name="Acme Search")
    plan = Plan.objects.create(addon=addon, slug="basic", name="Basic")
    resources = AddonResource.objects.bulk_create(
        (
            AddonResource(
                uuid=f"00000000-0000-4000-8000-{i:012d}",
                addon=addon,
                plan=plan,
                name=f"acme-search-{i}",
                app_name=f"app-{i}",
                state=AddonResource.State.PROVISIONED,
            )
            for i in range(args.resources)
        ),
        batch_size=1000,
    )
    Ticket.objects.bulk_create(
        (
            Ticket(
                addon=addon,
                resource=resources[i % len(resources)],
                subject=f"Problem {i}",
                requester_email=f"c{i}@example.org",
            )
            for i in range(args.tickets)
        ),
        batch_size=1000,
    )
    operator = User.objects.create_superuser(email="op@example.com", password="x")
    manager = users[0]

    pages = {
        f"Company tab ({args.users} users)": (
            manager,
            reverse("accounts:company-users", args=[company.slug]),
        ),
        f"admin resource list ({args.resources} resources)": (
            operator,
            reverse("admin:addons_addonresource_changelist"),
        ),
        f"ticket list ({args.tickets} tickets)": (manager, reverse("addons:ticket-list")),
    }
    results = {}
    for name, (user, url) in pages.items():
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == 200, url  # warm up (templates, caches)
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200, url
        results[name] = {
            "url": url,
            "queries": len(queries),
            "median_ms": round(statistics.median(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1),
        }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, row in results.items():
            print(f"{name:45} {row['queries']:3} queries  median {row['median_ms']:7.1f} ms")


if __name__ == "__main__":
    main()
