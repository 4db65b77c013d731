"""The baseline: the access-list sync as the Dev Center article describes it, written plainly.

One resource at a time, four sequential `requests.get` calls (add-on, collaborators, app, team
members), no session (so no connection reuse), no ETags, then the simple write: delete the
resource's grants and create the new ones. Not product code: the yardstick for bench/README.md.

    DATABASE_URL=... HEROKU_API_URL=... python bench/straightforward_sync.py --limit 50
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=50, help="resources to sync (a subset)")
    args = parser.parse_args(argv)
    started = time.monotonic()

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from addons.models import AccessGrant, AddonResource

    api = settings.HEROKU_API_URL
    synced = 0
    for resource in AddonResource.objects.order_by("pk")[: args.limit]:
        headers = {
            "Authorization": f"Bearer {resource.access_token}",
            "Accept": "application/vnd.heroku+json; version=3",
        }

        def get(path, paged=False, headers=headers):
            items, range_header = [], "id ..; max=1000" if paged else None
            while True:
                extra = {"Range": range_header} if range_header else {}
                response = requests.get(api + path, headers={**headers, **extra}, timeout=30)
                response.raise_for_status()
                if not paged:
                    return response.json()
                items += response.json()
                if response.status_code == 200:
                    return items
                range_header = response.headers["Next-Range"]

        addon = get(f"/addons/{resource.uuid}")
        app_id = addon["app"]["id"]
        emails = {c["user"]["email"].lower() for c in get(f"/apps/{app_id}/collaborators", True)}
        app = get(f"/apps/{app_id}")
        if app.get("team"):
            members = get(f"/teams/{app['team']['id']}/members", True)
            emails |= {m["email"].lower() for m in members}
        with transaction.atomic():
            AccessGrant.objects.filter(resource=resource).delete()
            for email in sorted(emails):
                AccessGrant.objects.create(resource=resource, email=email)
            resource.last_synced_at = timezone.now()
            resource.save(update_fields=["last_synced_at"])
        synced += 1
    print(json.dumps({"resources": synced, "seconds_in_process": time.monotonic() - started}))


if __name__ == "__main__":
    main()
