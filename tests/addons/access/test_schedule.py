"""A schedule that fits the budget: stalest first, personal apps with a healthy webhook polled less
often, no new resource started when Heroku's pool runs low, and the fleet's staleness reported."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from addons.access.staleness import due_for_sync, fleet_staleness
from addons.access.sync import sync_resources
from addons.access.tasks import sync_access_task
from addons.models import AddonResource, WebhookSubscription

pytestmark = pytest.mark.django_db


def synced_ago(resource, seconds):
    at = timezone.now() - timedelta(seconds=seconds)
    AddonResource.objects.filter(pk=resource.pk).update(last_synced_at=at, sync_status="ok")


def hooked(resource):
    WebhookSubscription.objects.create(resource=resource, status="active", secret="s")


def test_a_run_takes_the_stalest_lists_first(make_resource):
    resources = [make_resource() for _ in range(4)]
    synced_ago(resources[0], 60)
    synced_ago(resources[1], 3600)
    synced_ago(resources[3], 600)  # resources[2] was never synced
    order = []
    sync_resources(
        AddonResource.objects.all(),
        trigger="cron",
        concurrency=1,
        on_outcome=lambda outcome: order.append(outcome.uuid),
    )
    expected = [resources[i] for i in (2, 1, 3, 0)]
    assert order == [str(r.uuid) for r in expected]


def test_a_healthy_webhook_lets_a_personal_app_poll_less_often(make_resource, settings):
    settings.SYNC_INTERVAL = 300
    settings.SYNC_INTERVAL_WITH_WEBHOOK = 3600
    plain, with_hook, team_with_hook, old_with_hook, never = (make_resource() for _ in range(5))
    for resource in (plain, with_hook, team_with_hook):
        synced_ago(resource, 600)
    synced_ago(old_with_hook, 4000)
    for resource in (with_hook, team_with_hook, old_with_hook, never):
        hooked(resource)
    AddonResource.objects.filter(pk=team_with_hook.pk).update(team_id="team-1")
    due = set(due_for_sync())
    assert due == {plain, team_with_hook, old_with_hook, never}


def test_the_schedule_syncs_what_is_due(fake_heroku, make_resource, settings):
    settings.SYNC_INTERVAL_WITH_WEBHOOK = 3600
    fresh_enough, due = make_resource(), make_resource()
    synced_ago(fresh_enough, 600)
    synced_ago(due, 600)
    hooked(fresh_enough)
    report = sync_access_task()
    assert report["resources"] == 1


def test_a_run_starts_no_new_resource_when_the_pool_runs_low(fake_heroku, make_resource, settings):
    resources = [make_resource() for _ in range(6)]
    # Each personal app takes three calls: the reserve is crossed during the second resource
    # (the one fetch waiting in the window behind it may still start).
    settings.SYNC_RATE_LIMIT_RESERVE = fake_heroku.rate_limit - 5
    first = sync_resources(AddonResource.objects.all(), trigger="cron", concurrency=1)
    assert 2 <= first.synced <= 3
    assert first.deferred == 6 - first.synced
    assert first.as_json()["deferred"] == first.deferred
    assert fake_heroku.remaining > 0  # never driven to a 429
    # How it resumes: the pool refills, and the next run takes the lists left behind first.
    fake_heroku.reset_counters()
    order = []
    sync_resources(
        AddonResource.objects.all(),
        trigger="cron",
        concurrency=1,
        on_outcome=lambda outcome: order.append(outcome.uuid),
    )
    synced_first = {str(r.uuid) for r in resources} - {o.uuid for o in first.outcomes}
    assert set(order[:2]) <= synced_first


def test_fleet_staleness_reports_p50_p99_and_the_oldest(make_resource):
    resources = [make_resource() for _ in range(10)]
    for i, resource in enumerate(resources):
        synced_ago(resource, 60 * (i + 1))
    hooked(resources[0])
    staleness = fleet_staleness()
    assert staleness["resources"] == 10 and staleness["with_webhook"] == 1
    assert 290 <= staleness["p50_seconds"] <= 310
    assert 590 <= staleness["p99_seconds"] <= 610
    assert staleness["oldest_uuid"] == str(resources[-1].uuid)


def test_sync_access_json_adds_staleness_and_keeps_the_old_keys(fake_heroku, make_resource):
    make_resource()
    out = io.StringIO()
    call_command("sync_access", "--json", stdout=out)
    report = json.loads(out.getvalue())
    for key in ("resources", "synced", "failed", "unchanged", "added", "removed", "failures"):
        assert key in report
    assert report["staleness"]["resources"] == 1
    assert report["staleness"]["p99_seconds"] < 60
    assert report["deferred"] == 0


def test_the_sync_runs_page_shows_the_fleet_s_staleness(operator_client, make_resource):
    resource = make_resource()
    synced_ago(resource, 7200)
    html = operator_client.get(reverse("admin:addons_syncrun_changelist")).content.decode()
    assert "p99 2.0 h" in html
    assert str(resource.uuid) in html


def test_sync_access_due_syncs_what_the_schedule_would(fake_heroku, make_resource, settings):
    settings.SYNC_INTERVAL_WITH_WEBHOOK = 3600
    hooked_fresh, due = make_resource(), make_resource()
    synced_ago(hooked_fresh, 600)
    synced_ago(due, 600)
    hooked(hooked_fresh)
    out = io.StringIO()
    call_command("sync_access", "--due", "--json", stdout=out)
    assert json.loads(out.getvalue())["resources"] == 1
