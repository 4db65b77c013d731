"""Show who may use a resource, or which resources a person may use."""

import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from addons.models import AccessGrant, AddonResource

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
            data = self.resources_of(options["email"])
        else:
            data = self.people_of(options["uuid"])
        if options["json"]:
            self.stdout.write(json.dumps(data))
        elif options["email"]:
            self.write_resources(data)
        else:
            self.write_people(data)

    def people_of(self, value: str) -> dict:
        """Return RESOURCE's access list as plain data."""
        try:
            resource = AddonResource.objects.select_related("addon").get(uuid=uuid.UUID(value))
        except (ValueError, AddonResource.DoesNotExist):
            raise CommandError(f"No resource with UUID {value!r}.", returncode=BAD_USAGE) from None
        grants = AccessGrant.objects.filter(resource=resource).order_by("email")
        return {
            "resource": str(resource.uuid),
            "addon": resource.addon.slug,
            "app": resource.app_name,
            "team": resource.team_name,
            "state": resource.state,
            "sync_status": resource.sync_status,
            "last_synced_at": _iso(resource.last_synced_at),
            "fresh": resource.access_list_is_fresh(),
            "people": [
                {
                    "email": grant.email,
                    "sources": grant.sources,
                    "role": grant.role,
                    "since": _iso(grant.created_at),
                    "confirmed_at": _iso(grant.confirmed_at),
                }
                for grant in grants.iterator()
            ],
        }

    def resources_of(self, email: str) -> dict:
        """Return the resources EMAIL may use as plain data."""
        email = email.strip().lower()
        grants = (
            AccessGrant.objects.filter(resource__in=AddonResource.objects.usable_by(email))
            .filter(email=email)
            .select_related("resource__addon")
            .order_by("resource__addon__slug", "resource__app_name")
        )
        return {
            "email": email,
            "resources": [
                {
                    "resource": str(grant.resource.uuid),
                    "addon": grant.resource.addon.slug,
                    "app": grant.resource.app_name,
                    "team": grant.resource.team_name,
                    "sources": grant.sources,
                    "role": grant.role,
                    "since": _iso(grant.created_at),
                    "last_synced_at": _iso(grant.resource.last_synced_at),
                }
                for grant in grants.iterator()
            ],
        }

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


def _iso(value):
    return value.isoformat() if value else None
