from django.core.management.base import BaseCommand, CommandError

from addons.models import Addon
from addons.tickets.services import rotate_intake_token


class Command(BaseCommand):
    help = (
        "Give an add-on a new ticket intake API token and print it once. The old token stops "
        "working at once; only a hash of the new one is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The add-on's slug (manifest id).")

    def handle(self, *args, slug, **options):
        """Rotate the intake token of the add-on SLUG and print the new token."""
        try:
            addon = Addon.objects.get(slug=slug)
        except Addon.DoesNotExist:
            raise CommandError(f"No add-on with slug {slug!r}.", returncode=2) from None
        token = rotate_intake_token(addon=addon)
        self.stderr.write(
            self.style.SUCCESS(f"New intake token for {addon.slug} (shown once, store it now):")
        )
        self.stdout.write(token)
