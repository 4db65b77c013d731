"""Load the offline demo: people, Acme Add-ons, Acme Search with synced resources, and tickets."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from addons.demo.addon import ADDON_SLUG, load_addon
from addons.demo.fake import DemoHeroku, FakeHerokuUnavailable
from addons.demo.people import (
    COMPANY_USERS,
    DEMO_PASSWORD,
    INVITEE_EMAIL,
    OPERATOR_EMAIL,
    SUPPORT_EMAIL,
    load_company,
    load_operator,
)
from addons.demo.resources import (
    DemoResourceError,
    provision_demo_resources,
    resources_on_heroku,
    sync_demo_access_lists,
)
from addons.demo.tickets import load_tickets
from addons.exceptions import AddonsError
from addons.models import Ticket


class Command(BaseCommand):
    help = (
        "Load the demo: an operator, the company Acme Add-ons and its users, an invitation, the "
        "add-on Acme Search with a filled manifest, its resources provisioned through the Partner "
        "API and their access lists synced from the fake Heroku, and tickets in every state. "
        "Needs the fake Heroku in demo mode at HEROKU_API_URL (`make run` starts it). Safe to "
        "run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="Wait up to this long for the fake Heroku to answer (make run: 15).",
        )

    def handle(self, *args, **options):
        heroku = self._heroku(options["wait"])
        on_heroku = resources_on_heroku(addon_slug=ADDON_SLUG, heroku=heroku)
        if not on_heroku:
            raise CommandError(
                f"The fake Heroku at {heroku.url} has no resource of {ADDON_SLUG}: it is not in "
                "demo mode. Start it with `python manage.py fake_heroku --demo`."
            )
        with transaction.atomic():
            load_operator()
            company, owner = load_company()
            addon = load_addon(company=company, owner=owner.user)
        try:
            resources = provision_demo_resources(addon=addon, heroku=heroku, on_heroku=on_heroku)
        except (DemoResourceError, AddonsError) as exc:
            raise CommandError(f"A demo resource could not be provisioned: {exc}") from None
        sync_demo_access_lists(addon=addon, stdout=self.stdout, stderr=self.stderr)
        support = company.members.get(user__email__iexact=SUPPORT_EMAIL).user
        with transaction.atomic():
            load_tickets(addon=addon, support=support)
        self._summary(addon, resources)

    def _heroku(self, wait: float) -> DemoHeroku:
        if wait < 0:
            raise CommandError("--wait cannot be negative.", returncode=2)
        heroku = DemoHeroku(settings.HEROKU_API_URL)
        try:
            heroku.wait_until_serving(wait=wait)
        except FakeHerokuUnavailable as exc:
            raise CommandError(f"The demo data needs the fake Heroku. {exc}") from None
        if settings.HEROKU_ID_URL != settings.HEROKU_API_URL:
            raise CommandError(
                f"HEROKU_ID_URL ({settings.HEROKU_ID_URL}) must be the fake Heroku too, like "
                f"HEROKU_API_URL ({settings.HEROKU_API_URL})."
            )
        return heroku

    def _summary(self, addon, resources) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Logins (password: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {OPERATOR_EMAIL}  operator: /admin/")
        for email, (_, permissions) in COMPANY_USERS.items():
            rights = ", ".join(sorted(p.value for p in permissions))
            self.stdout.write(f"  {email}  company user of Acme Add-ons: {rights}")
        self.stdout.write(f"Pending invitation: {INVITEE_EMAIL}")
        for resource in addon.resources.filter(pk__in=[r.pk for r in resources]):
            people = resource.grants.count()
            self.stdout.write(f"  {addon.slug} on {resource.app_name}: {people} people synced")
        tickets = Ticket.objects.filter(addon=addon).count()
        self.stdout.write(f"{tickets} tickets.")
        self.stdout.write(f"Sign in as a Heroku customer: {settings.SITE_URL}/demo/ (DEBUG only)")
