"""Subscribe existing resources to add-on webhooks (those with no healthy subscription)."""

import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from addons.access.webhooks.commands import subscribe_wanted, wanted_resources
from addons.models import AddonResource

BAD_USAGE = 2


class Command(BaseCommand):
    help = (
        "Subscribe an add-on webhook for each provisioned resource that has a token and no "
        "active subscription (pending or failed ones; refused ones with --retry-refused). Exit "
        "0 when every chosen resource is subscribed, 1 when any is not, 2 on bad usage."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--resource", action="append", default=[], metavar="UUID", help="Only this resource."
        )
        parser.add_argument("--retry-refused", action="store_true", help="Ask again for refused.")
        parser.add_argument("--limit", type=int, help="Subscribe at most this many.")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would go.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.", returncode=BAD_USAGE)
        resources = wanted_resources(retry_refused=options["retry_refused"])
        if options["resource"]:
            uuids = self._uuids(options["resource"])
            resources = resources.filter(uuid__in=uuids)
        if options["dry_run"]:
            count = resources.count()
            self.stdout.write(
                json.dumps({"would_subscribe": count})
                if options["json"]
                else f"{count} resource(s) would be subscribed."
            )
            return
        report = subscribe_wanted(resources=resources, limit=options["limit"])
        data = report.as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data))
        else:
            self.stdout.write(
                f"{data['resources']} resource(s): {data['active']} subscribed, "
                f"{data['failed']} failed, {data['refused']} refused."
            )
            for failure in data["failures"]:
                self.stdout.write(f"  {failure['uuid']}: {failure['status']}: {failure['error']}")
        if data["failures"]:
            raise CommandError("Some resources were not subscribed.", returncode=1)

    def _uuids(self, values):
        uuids = []
        for value in values:
            try:
                uuids.append(uuid.UUID(value))
            except ValueError:
                raise CommandError(f"{value!r} is not a UUID.", returncode=BAD_USAGE) from None
        known = set(AddonResource.objects.filter(uuid__in=uuids).values_list("uuid", flat=True))
        if missing := [str(u) for u in uuids if u not in known]:
            raise CommandError(f"No resource {', '.join(missing)}.", returncode=BAD_USAGE)
        return uuids
