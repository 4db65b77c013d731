"""Serve the loopback fake Heroku (development, tests and the offline demo; never production)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from addons.heroku.fake.__main__ import main


class Command(BaseCommand):
    help = (
        "Serve a fake of Heroku's Platform API and id.heroku.com on 127.0.0.1, for local "
        "development, the offline demo and tests. Point HEROKU_API_URL and HEROKU_ID_URL at it. "
        "Never run it in production: it accepts made-up tokens and holds no real data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=5050, help="Port to listen on (5050).")
        parser.add_argument(
            "--resources", type=int, default=0, help="Generate a world of N resources."
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the generated world.")
        parser.add_argument(
            "--latency", type=float, default=0.0, help="Seconds added to every request."
        )
        parser.add_argument(
            "--rate-limit", type=int, default=10**9, help="Platform API calls before a 429."
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Serve the demo's world (what `make run` starts; load_demo_data provisions it), "
            "with the portal's HEROKU_OAUTH_CLIENT_ID and _SECRET registered for Log in with "
            "Heroku.",
        )

    def handle(self, *args, **options):
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.", returncode=2)
        if options["resources"] < 0 or options["latency"] < 0 or options["rate_limit"] < 0:
            raise CommandError(
                "--resources, --latency and --rate-limit cannot be negative.", returncode=2
            )
        if options["demo"] and options["resources"]:
            raise CommandError("--demo serves its own world: leave out --resources.", returncode=2)
        demo = []
        if options["demo"]:
            demo = [
                "--demo",
                f"--oauth-client-id={settings.HEROKU_OAUTH_CLIENT_ID}",
                f"--oauth-client-secret={settings.HEROKU_OAUTH_CLIENT_SECRET}",
            ]
        main(
            [
                *demo,
                f"--port={options['port']}",
                f"--resources={options['resources']}",
                f"--seed={options['seed']}",
                f"--latency={options['latency']}",
                f"--rate-limit={options['rate_limit']}",
            ]
        )
