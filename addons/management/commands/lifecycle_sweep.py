"""Run the add-on lifecycle's periodic duties now, or as of another time (`--now`)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from addons.lifecycle.tasks import run_sweep


class Command(BaseCommand):
    help = (
        "Fail resources still provisioning 12 hours after Heroku asked (and alert operators), "
        "retire old credentials whose overlap window is over, and resume reports to Heroku that "
        "a dead worker left behind. The lifecycle_sweep schedule runs this every 5 minutes; "
        "--now runs it as of another time (ISO 8601 with an offset), e.g. to rehearse the "
        "deadline."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="the time to act as of, e.g. 2026-01-02T00:00:00Z")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )

    def handle(self, *args, now=None, as_json=False, **options):
        when = None
        if now:
            try:
                when = parse_datetime(now)
            except ValueError:
                when = None
            if when is None or when.tzinfo is None:
                raise CommandError(
                    f"--now {now!r} is not an ISO 8601 time with an offset, e.g. "
                    "2026-01-02T00:00:00Z.",
                    returncode=2,
                )
        report = run_sweep(now=when)
        if as_json:
            self.stdout.write(json.dumps(report, sort_keys=True))
            return
        for resource_uuid in report["failed"]:
            self.stdout.write(f"failed (past the provisioning deadline): {resource_uuid}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report['failed'])} failed, {report['retired']} retired, "
                f"{report['resumed']} resumed."
            )
        )
