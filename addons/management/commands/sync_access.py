"""Reconcile add-on resources' access lists with the Heroku Platform API."""

import argparse
import json
import uuid
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from addons.access.claims import syncable_resources
from addons.access.staleness import due_for_sync, fleet_staleness
from addons.access.sync import ResourceOutcome, Status, sync_resources
from addons.access.tasks import enqueue_sync
from addons.models import Addon, AddonResource, SyncRun

BAD_USAGE = 2
SOME_FAILED = 1


class Command(BaseCommand):
    help = (
        "Sync the user access lists of add-on resources with the Heroku Platform API. "
        "Without --resource, --addon or --stale, syncs every provisioned resource. "
        "A resource that another live run is syncing is skipped and listed with the run that "
        "holds it (its id, host and pid); one held by a run that died is taken at once. "
        "Exits 0 when every chosen resource synced, here or in the live run that holds it; "
        "1 when any failed, was refused, or had its additions paused by the circuit breaker; "
        "2 on bad usage."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--resource",
            dest="resources",
            nargs="+",
            action="extend",
            default=[],
            metavar="UUID",
            help="Sync only the resource with this UUID (repeatable, or several UUIDs at once).",
        )
        parser.add_argument(
            "--addon", metavar="SLUG", help="Sync only the resources of the add-on with this slug."
        )
        parser.add_argument(
            "--stale",
            action="store_true",
            help="Sync only resources whose list is older than ACCESS_LIST_MAX_AGE (for cron).",
        )
        parser.add_argument(
            "--due",
            action="store_true",
            help="Sync only the resources the schedule would sync now: lists older than "
            "SYNC_INTERVAL (or ACCESS_LIST_MAX_AGE when shorter), or SYNC_INTERVAL_WITH_WEBHOOK "
            "for personal apps with a healthy webhook subscription.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Fetch and print the differences, but change no access list and record no run.",
        )
        # Gone: a complete answer from Heroku applies at once, and an answer that cannot be true
        # is never applied. Kept, hidden, so that an old script's --force gets that said rather
        # than argparse taking it for --force-color and syncing as if nothing had changed.
        parser.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument(
            "--concurrency",
            type=int,
            metavar="N",
            help="Fetch N resources at a time (default: SYNC_CONCURRENCY).",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Do not sync here: queue one django-q2 task per chunk of resources, for the "
            "qcluster workers (on any number of machines) to share.",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=100,
            metavar="N",
            help="With --enqueue: resources per task (default 100).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print one JSON object: {"resources", "synced", "failed", "unchanged", '
            '"added", "removed", "failures": [{"uuid", "error"}], "skipped", '
            '"skipped_resources": [{"uuid", "reason", "held_by": {"run", "host", "pid", '
            '"claim"} or null}], "paused", "breaker": {"tripped", "additions_paused_by_run", '
            '"lists_compared", "lists_shrunk"}}.',
        )

    def handle(self, *args, **options):
        if options["force"]:
            raise CommandError(
                "--force is gone: a complete answer from Heroku now applies at once, removals "
                "included, and an answer that cannot be true is never applied. See "
                'docs/operations.md, "Keeping access lists fresh".',
                returncode=BAD_USAGE,
            )
        queryset = self.chosen_resources(options)
        if options["concurrency"] is not None and options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1.", returncode=BAD_USAGE)
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.", returncode=BAD_USAGE)
        if options["enqueue"]:
            if options["dry_run"]:
                raise CommandError("--enqueue does not take --dry-run.", returncode=BAD_USAGE)
            return self.enqueue(queryset, options)
        with self.progress_bar(queryset, show=not options["json"] and self.stdout.isatty()) as bar:
            report = sync_resources(
                queryset,
                trigger=SyncRun.Trigger.CRON,
                dry_run=options["dry_run"],
                concurrency=options["concurrency"],
                on_outcome=bar,
            )
        if options["json"]:
            self.stdout.write(json.dumps({**report.as_json(), "staleness": fleet_staleness()}))
        else:
            if options["dry_run"]:
                self.write_diff(report)
            self.write_summary(report)
        if not report.ok:
            raise CommandError(
                f"{report.failed} of {report.synced + report.failed} resources failed to sync.",
                returncode=SOME_FAILED,
            )

    @contextmanager
    def progress_bar(self, queryset, *, show: bool):
        """Yield an on_outcome callback that draws a progress bar on stdout; None unless SHOW."""
        if not show:
            yield None
            return
        bar = _ProgressBar(self.stdout, total=syncable_resources(queryset).count())
        try:
            yield bar
        finally:
            bar.close()

    def enqueue(self, queryset, options):
        """Queue one sync task per chunk of QUERYSET's resources; print how many."""
        queued = enqueue_sync(
            queryset,
            trigger=SyncRun.Trigger.SCHEDULE,
            chunk_size=options["chunk_size"],
            label="sync_access",
        )
        if options["json"]:
            self.stdout.write(
                json.dumps({"enqueued_tasks": queued.tasks, "resources": queued.resources})
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Queued {queued.tasks} sync tasks for {queued.resources} resources."
                )
            )

    def chosen_resources(self, options):
        """Return the resources the options choose; CommandError(2) on bad usage."""
        queryset = AddonResource.objects.all()
        if options["resources"]:
            try:
                uuids = {uuid.UUID(value) for value in options["resources"]}
            except ValueError:
                raise CommandError(
                    "--resource takes resource UUIDs, like 01234567-89ab-cdef-0123-456789abcdef.",
                    returncode=BAD_USAGE,
                ) from None
            queryset = queryset.filter(uuid__in=uuids)
            missing = uuids - set(queryset.values_list("uuid", flat=True))
            if missing:
                raise CommandError(
                    f"No resource with UUID {', '.join(sorted(map(str, missing)))}.",
                    returncode=BAD_USAGE,
                )
        if options["addon"]:
            if not Addon.objects.filter(slug=options["addon"]).exists():
                raise CommandError(
                    f"No add-on with slug {options['addon']!r}.", returncode=BAD_USAGE
                )
            queryset = queryset.filter(addon__slug=options["addon"])
        if options["stale"]:
            queryset = queryset.stale()
        if options["due"]:
            queryset = queryset.filter(pk__in=due_for_sync().values("pk"))
        return queryset

    def write_diff(self, report):
        for outcome in report.outcomes:
            if outcome.diff or outcome.status == Status.REFUSED:
                self.stdout.write(f"{outcome.uuid} ({outcome.status})")
                for sign, email in outcome.diff:
                    style = self.style.SUCCESS if sign == "+" else self.style.ERROR
                    self.stdout.write(style(f"  {sign} {email}"))
        self.stdout.write("Dry run: nothing was written.")

    def write_summary(self, report):
        rows = [
            ("synced", report.synced),
            ("unchanged", report.unchanged),
            ("added", report.added),
            ("removed", report.removed),
            ("failed", report.failed),
        ]
        if report.paused:
            rows.append(("of which additions paused", report.paused))
        if report.skipped:
            rows.append(("skipped (another run's)", report.skipped))
        if report.deferred:
            rows.append(("left for the next run (rate limit)", report.deferred))
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            self.stdout.write(f"{name:<{width}}  {value:>7}")
        for failure in report.failures:
            self.stdout.write(self.style.ERROR(f"{failure['uuid']}: {failure['error']}"))
        for skipped in report.skipped_resources:
            self.stdout.write(f"{skipped['uuid']}: skipped, {skipped['reason']}")
        duration = report.duration.total_seconds() if report.duration else 0
        message = f"{report.synced} of {report.synced + report.failed} resources synced"
        if report.skipped:
            message += f", {report.skipped} left to other runs"
        message += f" in {duration:.1f} s."
        self.stdout.write(self.style.SUCCESS(message) if report.ok else self.style.WARNING(message))


class _ProgressBar:
    """A tqdm bar on the command's stdout: one step per resource, and the failures so far."""

    def __init__(self, stdout: OutputWrapper, *, total: int):
        # Imported here: tqdm takes about 0.1 s to import, and cron runs never draw a bar.
        from tqdm import tqdm

        self.bar = tqdm(total=total, file=_BarStream(stdout), unit="resource", dynamic_ncols=True)
        self.failed = 0

    def __call__(self, outcome: ResourceOutcome) -> None:
        if outcome.failed:
            self.failed += 1
        self.bar.update(1)
        self.bar.set_postfix(failed=self.failed, refresh=False)

    def close(self) -> None:
        self.bar.close()


class _BarStream:
    """The command's stdout as tqdm writes to it: as is, without the newline stdout adds."""

    def __init__(self, stdout: OutputWrapper):
        self.stdout = stdout

    def write(self, text: str) -> None:
        self.stdout.write(text, ending="")

    def __getattr__(self, name):  # flush, fileno (the terminal's width), encoding
        return getattr(self.stdout, name)
