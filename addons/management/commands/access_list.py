"""Show who may use a resource, or which resources a person may use."""

import json

from django.core.management.base import BaseCommand, CommandError

from addons.access.selectors import people_of, resource_with_uuid, resources_of

BAD_USAGE = 2


class Command(BaseCommand):
    help = (
        "Show who may use the add-on resource UUID, from which source and since when; or, "
        "with --email, which resources that person may use."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "uuid", nargs="?", metavar="UUID", help="The add-on resource whose access list to show."
        )
        parser.add_argument(
            "--email", help="Show the resources this email may use instead (case-insensitive)."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        if bool(options["uuid"]) == bool(options["email"]):
            raise CommandError("Give either a resource UUID or --email.", returncode=BAD_USAGE)
        if options["email"]:
            data = resources_of(options["email"])
        else:
            resource = resource_with_uuid(options["uuid"])
            if resource is None:
                raise CommandError(
                    f"No resource with UUID {options['uuid']!r}.", returncode=BAD_USAGE
                )
            data = people_of(resource)
        if options["json"]:
            self.stdout.write(json.dumps(data))
        elif options["email"]:
            self.write_resources(data)
        else:
            self.write_people(data)

    def write_people(self, data: dict):
        self.stdout.write(
            f"{data['resource']} ({data['addon']} on {data['app'] or '?'}"
            f"{', team ' + data['team'] if data['team'] else ''}), {data['state']}"
        )
        freshness = "fresh" if data["fresh"] else "stale"
        self.stdout.write(
            f"Last synced {data['last_synced_at'] or 'never'} ({freshness}, {data['sync_status']})"
        )
        if not data["people"]:
            self.stdout.write("Nobody may use this resource.")
        for person in data["people"]:
            self.stdout.write(
                f"  {person['email']:<40} {'+'.join(person['sources']):<25} "
                f"{person['role']:<12} since {person['since']}"
            )

    def write_resources(self, data: dict):
        if not data["resources"]:
            self.stdout.write(f"{data['email']} may use no resource.")
        for row in data["resources"]:
            self.stdout.write(
                f"  {row['resource']}  {row['addon']:<20} {row['app']:<30} "
                f"{'+'.join(row['sources']):<25} since {row['since']}"
            )
