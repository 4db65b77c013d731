"""Progress: on_outcome hears of each resource; sync_access draws a bar on a terminal."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from addons.access.sync import Status, sync_resources
from addons.models import AddonResource

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    """What sync_access writes to when its stdout is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def resource_held_by_another_run(make_resource, live_run):
    """A resource that another live run has claimed: a sync skips it."""
    resource = make_resource(collaborators=["held@example.com"])
    live_run.claim([resource.pk], free_before=timezone.now())
    return resource


@pytest.fixture
def failing_resource(fake_heroku, make_resource):
    """A resource whose collaborators Heroku fails to list."""
    resource = make_resource(collaborators=["broken@example.com"])
    app_id = fake_heroku.world.app_of(str(resource.uuid))["id"]
    fake_heroku.inject("500", match=f"/apps/{app_id}/collaborators")
    return resource


def run_sync_access(*args, stdout) -> int:
    try:
        call_command("sync_access", *args, stdout=stdout, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode
    return 0


def test_on_outcome_hears_of_every_resource_once_skipped_and_failed_ones_included(
    fake_heroku, team_resource, personal_resource, resource_held_by_another_run, failing_resource
):
    heard = []

    report = sync_resources(AddonResource.objects.all(), trigger="cron", on_outcome=heard.append)

    assert heard == report.outcomes
    assert sorted(outcome.resource_id for outcome in heard) == sorted(
        r.pk
        for r in (team_resource, personal_resource, resource_held_by_another_run, failing_resource)
    )
    statuses = {outcome.resource_id: outcome.status for outcome in heard}
    assert statuses[resource_held_by_another_run.pk] == Status.SKIPPED
    assert statuses[failing_resource.pk] == Status.FAILED
    assert statuses[personal_resource.pk] == Status.SYNCED


def test_on_outcome_hears_of_a_dry_run_too(fake_heroku, personal_resource):
    heard = []
    report = sync_resources(
        [personal_resource], trigger="cron", dry_run=True, on_outcome=heard.append
    )
    assert [outcome.status for outcome in heard] == [Status.SYNCED]
    assert heard == report.outcomes


def test_sync_access_draws_a_progress_bar_on_a_terminal(
    fake_heroku, personal_resource, failing_resource
):
    terminal = Terminal()

    assert run_sync_access(stdout=terminal) == 1

    out = terminal.getvalue()
    assert "\r" in out and "2/2" in out and "resource" in out and "failed=1" in out
    assert "1 of 2 resources synced" in out  # the summary follows the bar


def test_sync_access_draws_no_bar_for_json_or_off_a_terminal(fake_heroku, personal_resource):
    terminal = Terminal()
    assert run_sync_access("--json", stdout=terminal) == 0
    assert json.loads(terminal.getvalue())["synced"] == 1

    pipe = io.StringIO()
    assert run_sync_access(stdout=pipe) == 0
    assert "\r" not in pipe.getvalue() and "1 of 1 resources synced" in pipe.getvalue()
