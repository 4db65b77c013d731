"""The circuit breaker: when most lists shrink at once, additions pause; removals never do."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Notification
from addons.access.alerts import BREAKER_EMAIL_KIND, alert_breaker_tripped
from addons.access.breaker import open_breaker
from addons.models import AccessGrant, AddonResource, SyncRun

pytestmark = pytest.mark.django_db

LISTS = 6


def sync_json(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("sync_access", "--json", *args, stdout=out, stderr=io.StringIO())
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, json.loads(out.getvalue())


def emails(resource) -> set[str]:
    return set(AccessGrant.objects.filter(resource=resource).values_list("email", flat=True))


@pytest.fixture
def breaker_settings(settings):
    """A breaker that judges from 4 lists on, trips above half, and holds for 30 minutes."""
    settings.SYNC_BREAKER_MIN_LISTS = 4
    settings.SYNC_BREAKER_SHARE = 0.5
    settings.SYNC_BREAKER_HOLD = 1800
    return settings


@pytest.fixture
def six_apps(fake_heroku, make_resource, breaker_settings):
    """Six personal apps, each with its owner and collaborators a and b, synced once."""
    resources = [
        make_resource(owner=f"owner{i}@example.com", collaborators=[f"a{i}@x.io", f"b{i}@x.io"])
        for i in range(LISTS)
    ]
    assert sync_json()[0] == 0
    return resources


@pytest.fixture
def tripped(fake_heroku, six_apps, operator, django_capture_on_commit_callbacks):
    """Five of the six lists lost their collaborator a at once; the sync that saw it tripped
    the breaker (and its e-mails went out). Returns that run."""
    for i, resource in enumerate(six_apps[:5]):
        fake_heroku.world.remove_collaborator(str(resource.uuid), f"a{i}@x.io")
    with django_capture_on_commit_callbacks(execute=True):
        code, report = sync_json()
    assert report["breaker"]["tripped"] is True, report
    return SyncRun.objects.get(breaker_tripped_at__isnull=False)


def test_most_lists_shrinking_at_once_trips_the_breaker_and_removals_still_apply(
    fake_heroku, six_apps, operator
):
    for i, resource in enumerate(six_apps[:5]):
        fake_heroku.world.remove_collaborator(str(resource.uuid), f"a{i}@x.io")

    code, report = sync_json()

    assert (code, report["removed"], report["failed"]) == (0, 5, 0)  # nothing else to apply
    run = SyncRun.objects.order_by("-pk").first()
    assert report["breaker"] == {
        "tripped": True,
        "additions_paused_by_run": run.pk,
        "lists_compared": LISTS,
        "lists_shrunk": 5,
    }
    for i, resource in enumerate(six_apps[:5]):
        assert f"a{i}@x.io" not in emails(resource)
    assert (run.lists_compared, run.lists_shrunk) == (LISTS, 5)
    assert run.breaker_tripped_at is not None
    assert open_breaker() == run


def test_operators_are_emailed_once_per_tripping_run(tripped, operator, colleague):
    notification = Notification.objects.get(kind=BREAKER_EMAIL_KIND)
    assert notification.email == operator.email  # staff only: not the colleague
    assert notification.dedupe_key == f"sync-breaker:run-{tripped.pk}"
    (sent,) = [message for message in mail.outbox if message.to == [operator.email]]
    # The e-mail goes out the moment the breaker trips, with the counts of that moment: which
    # lists the run had compared by then depends on the order its fetches completed in.
    shrunk, compared = map(
        int, re.search(r"(\d+) of (\d+) lists shrank at once", sent.subject).groups()
    )
    assert 4 <= compared <= LISTS and shrunk > compared / 2
    assert "Removals still apply" in sent.body
    assert f"/admin/addons/syncrun/{tripped.pk}/change/" in sent.body

    assert alert_breaker_tripped(run=tripped) == 0  # the same run again: deduplicated
    assert Notification.objects.filter(kind=BREAKER_EMAIL_KIND).count() == 1


def test_while_the_breaker_holds_additions_pause_and_removals_apply(fake_heroku, tripped):
    resources = list(AddonResource.objects.order_by("pk"))
    for i, resource in enumerate(resources):
        fake_heroku.world.add_collaborator(str(resource.uuid), f"new{i}@x.io")
    fake_heroku.world.remove_collaborator(str(resources[0].uuid), "b0@x.io")

    code, report = sync_json()

    assert code == 1  # lists left short of Heroku's: reported
    assert (report["paused"], report["added"], report["removed"]) == (LISTS, 0, 1)
    assert report["breaker"]["tripped"] is False  # this run saw nothing implausible...
    assert report["breaker"]["additions_paused_by_run"] == tripped.pk  # ...but the hold holds
    assert "b0@x.io" not in emails(resources[0])  # the removal applied
    for i, resource in enumerate(resources):
        assert f"new{i}@x.io" not in emails(resource)
        resource.refresh_from_db()
        assert resource.sync_status == AddonResource.SyncStatus.PAUSED
        assert "additions paused by the circuit breaker: 1 people" in resource.sync_error
    assert {f["error"][:38] for f in report["failures"]} == {
        "additions paused by the circuit breake"
    }
    assert SyncRun.objects.order_by("-pk").first().paused == LISTS
    assert Notification.objects.filter(kind=BREAKER_EMAIL_KIND).count() == 1  # no new trip


def test_after_the_hold_the_next_sync_adds_what_waited_even_from_304s(fake_heroku, tripped):
    resources = list(AddonResource.objects.order_by("pk"))
    for i, resource in enumerate(resources):
        fake_heroku.world.add_collaborator(str(resource.uuid), f"new{i}@x.io")
    assert sync_json()[1]["paused"] == LISTS
    SyncRun.objects.filter(pk=tripped.pk).update(
        breaker_tripped_at=timezone.now() - timedelta(seconds=1801)
    )
    fake_heroku.reset_counters()

    code, report = sync_json()

    assert (code, report["paused"], report["added"]) == (0, 0, LISTS)
    assert all(
        "If-None-Match" in headers for _, _, headers in fake_heroku.requests
    )  # Heroku's answers had not changed: the paused lists were still compared in full
    for i, resource in enumerate(resources):
        assert f"new{i}@x.io" in emails(resource)
        resource.refresh_from_db()
        assert (resource.sync_status, resource.sync_error) == (AddonResource.SyncStatus.OK, "")
    assert open_breaker() is None


def test_the_apps_of_one_team_count_as_one_list(fake_heroku, make_resource, breaker_settings):
    # Five apps of one team, and three personal apps: a member leaving the team shrinks five
    # lists, but it is one change of one team's members.
    first = make_resource(team="acme", collaborators=["c@x.io"], members=["m1@x.io", "m2@x.io"])
    team = fake_heroku.world.app_of(str(first.uuid))["team"]
    for _ in range(4):
        resource = make_resource(team="other", collaborators=["c@x.io"])
        app = fake_heroku.world.app_of(str(resource.uuid))
        app["team"] = app["organization"] = team
    for i in range(3):
        make_resource(owner=f"solo{i}@x.io", collaborators=[f"c{i}@x.io"])
    assert sync_json()[0] == 0
    fake_heroku.world.remove_member(str(first.uuid), "m2@x.io")

    code, report = sync_json()

    assert (code, report["removed"]) == (0, 5)
    assert report["breaker"]["lists_compared"] == 4 and report["breaker"]["lists_shrunk"] == 1
    assert report["breaker"]["tripped"] is False


def test_below_the_minimum_the_breaker_does_not_judge(fake_heroku, make_resource, settings):
    settings.SYNC_BREAKER_MIN_LISTS = 20
    resources = [
        make_resource(owner=f"owner{i}@x.io", collaborators=[f"a{i}@x.io"]) for i in range(3)
    ]
    assert sync_json()[0] == 0
    for i, resource in enumerate(resources):
        fake_heroku.world.remove_collaborator(str(resource.uuid), f"a{i}@x.io")
        fake_heroku.world.add_collaborator(str(resource.uuid), f"new{i}@x.io")

    code, report = sync_json()

    assert (code, report["added"], report["removed"]) == (0, 3, 3)
    assert report["breaker"]["tripped"] is False


def test_a_dry_run_neither_trips_nor_is_paused(fake_heroku, six_apps, operator):
    for i, resource in enumerate(six_apps[:5]):
        fake_heroku.world.remove_collaborator(str(resource.uuid), f"a{i}@x.io")
    assert sync_json("--dry-run")[1]["breaker"]["tripped"] is False
    assert open_breaker() is None
    assert not Notification.objects.filter(kind=BREAKER_EMAIL_KIND).exists()
