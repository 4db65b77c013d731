"""Team member lists: fetched once per team per run, with the team's ETag, shared by every
resource of the team; an SSO re-fetch reuses a team list Heroku confirmed moments ago."""

from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from addons.access.sync import sync_resource, sync_resources
from addons.models import AccessGrant, AddonResource, PlatformResponse, TeamResponse

pytestmark = pytest.mark.django_db


def emails(resource):
    return set(AccessGrant.objects.filter(resource=resource).values_list("email", flat=True))


def team_calls(fake):
    return sum(n for path, n in fake.path_counts.items() if path.startswith("/teams/"))


@pytest.fixture
def team_apps(make_resource):
    """Three resources on three apps of one team (two members), each with its own token."""
    return [
        make_resource(
            team="shared-team", collaborators=[f"c{i}@example.com"], members=["m1@x.io", "m2@x.io"]
        )
        for i in range(3)
    ]


def sync_all():
    return sync_resources(AddonResource.objects.all(), trigger="cron", concurrency=3)


def test_a_team_is_fetched_once_per_run_for_all_its_apps(fake_heroku, team_apps):
    report = sync_all()
    assert report.synced == 3
    assert team_calls(fake_heroku) == 1
    for resource in team_apps:
        assert {"m1@x.io", "m2@x.io"} <= emails(resource)
    assert TeamResponse.objects.count() == 1
    assert not PlatformResponse.objects.filter(endpoint__startswith="/teams/").exists()


def test_an_unchanged_team_answers_304_and_every_list_is_unchanged(fake_heroku, team_apps):
    sync_all()
    fake_heroku.reset_counters()
    fake_heroku.requests.clear()
    report = sync_all()
    assert report.unchanged == 3
    [team_request] = [r for r in fake_heroku.requests if r[1].startswith("/teams/")]
    assert "If-None-Match" in team_request[2]


def test_a_team_change_reaches_every_app_of_the_team(fake_heroku, team_apps):
    sync_all()
    fake_heroku.world.add_member(str(team_apps[0].uuid), "m3@x.io")
    fake_heroku.reset_counters()
    report = sync_all()
    assert team_calls(fake_heroku) == 1
    assert report.synced == 3
    for resource in team_apps:
        assert "m3@x.io" in emails(resource)


def test_when_one_token_fails_the_next_app_of_the_team_asks_with_its_own(fake_heroku, team_apps):
    fake_heroku.inject("403", match="/teams/", times=1)
    report = sync_all()
    assert report.failed == 1 and report.synced == 2
    assert team_calls(fake_heroku) == 2


def test_the_sso_re_fetch_reuses_a_team_list_confirmed_moments_ago(
    fake_heroku, team_apps, settings
):
    settings.TEAM_LIST_REUSE_AGE = 60
    sync_all()
    fake_heroku.reset_counters()
    outcome = sync_resource(team_apps[0], trigger="sso")
    assert outcome.ok
    assert team_calls(fake_heroku) == 0
    # Older than TEAM_LIST_REUSE_AGE: the login asks Heroku again.
    TeamResponse.objects.update(confirmed_at=timezone.now() - timedelta(seconds=61))
    outcome = sync_resource(team_apps[0], trigger="sso")
    assert outcome.ok
    assert team_calls(fake_heroku) == 1


def test_the_schedule_never_reuses_a_stored_team_list_without_asking(fake_heroku, team_apps):
    sync_all()
    fake_heroku.reset_counters()
    sync_resource(team_apps[0], trigger="cron")
    assert team_calls(fake_heroku) == 1


def test_the_migration_keeps_each_team_s_pages_once(team_apps):
    from importlib import import_module

    migration = import_module("addons.migrations.0009_team_responses")
    older, newer = timezone.now() - timedelta(hours=1), timezone.now()
    for resource, at, etag in ((team_apps[0], older, '"old"'), (team_apps[1], newer, '"new"')):
        PlatformResponse.objects.create(
            resource=resource,
            endpoint="/teams/t1/members email ..; max=1000",
            etag=etag,
            body="[]",
            updated_at=at,
        )
    PlatformResponse.objects.create(resource=team_apps[0], endpoint="/apps/a1", etag="x", body="{}")
    migration.move_team_responses(django_apps, None)
    [page] = TeamResponse.objects.all()
    assert (page.team_id, page.etag) == ("t1", '"new"')
    assert list(PlatformResponse.objects.values_list("endpoint", flat=True)) == ["/apps/a1"]
