"""The SSO access decision: the stored list, the re-fetch from Heroku (the loopback fake), and the
grace period when Heroku cannot be reached."""

import io
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from addons.access.sync import sync_resource
from addons.models import AccessGrant, AddonResource, SyncRun
from addons.sso.services import find_grant
from addons.sso.sessions import SESSION_KEY
from tests.builders import sso_form

pytestmark = pytest.mark.django_db

LOGIN = "/sso/login"
DEV = "a@example.com"  # a collaborator of `synced_resource`'s app, solo-app
NEWCOMER = "newcomer@example.com"


def age_list(resource, seconds):
    """Make RESOURCE's access list SECONDS old."""
    AddonResource.objects.filter(pk=resource.pk).update(
        last_synced_at=timezone.now() - timedelta(seconds=seconds)
    )
    resource.refresh_from_db()


def log_in(client, fake_heroku, resource, email, *, timestamp=None):
    form = sso_form(resource, email=email, user_id=user_id(fake_heroku, email), timestamp=timestamp)
    return client.post(LOGIN, form)


def a_while_ago():
    """A timestamp (still valid) that makes a person's second login a new token, not a replay."""
    return int(time.time()) - 30


def user_id(fake_heroku, email):
    return fake_heroku.world.user_id(email)


def dashboard_url(resource):
    return reverse("addons:dashboard", args=[resource.uuid])


@pytest.fixture
def client_factory():
    """Return a function that opens a new browser (a test client with cookies of its own)."""
    return Client


def sso_runs():
    return SyncRun.objects.filter(trigger=SyncRun.Trigger.SSO).count()


def test_on_a_fresh_list_no_request_is_made(client, fake_heroku, synced_resource):
    response = log_in(client, fake_heroku, synced_resource, DEV)
    assert response.status_code == 302
    assert fake_heroku.paths() == []
    assert sso_runs() == 0


def test_a_person_added_upstream_gets_in_after_the_refetch(client, fake_heroku, synced_resource):
    fake_heroku.world.add_collaborator(str(synced_resource.uuid), NEWCOMER)
    response = log_in(client, fake_heroku, synced_resource, NEWCOMER)
    assert response.status_code == 302
    assert client.session[SESSION_KEY]["email"] == NEWCOMER
    assert synced_resource.grants.filter(email=NEWCOMER).exists()
    assert sso_runs() == 1
    assert f"/addons/{synced_resource.uuid}" in fake_heroku.paths()


def test_a_person_on_a_stale_list_but_removed_upstream_is_denied(
    client, fake_heroku, synced_resource
):
    age_list(synced_resource, 301)
    fake_heroku.world.remove_collaborator(str(synced_resource.uuid), DEV)
    response = log_in(client, fake_heroku, synced_resource, DEV)
    assert response.status_code == 403
    page = response.content.decode()
    assert "not a collaborator or team member of the app solo-app" in page
    assert "add you as a collaborator or team member" in page
    assert SESSION_KEY not in client.session
    assert not synced_resource.grants.filter(email=DEV).exists()


def test_a_person_on_a_stale_list_still_on_it_upstream_gets_in(
    client, fake_heroku, synced_resource
):
    age_list(synced_resource, 301)
    assert log_in(client, fake_heroku, synced_resource, DEV).status_code == 302
    synced_resource.refresh_from_db()
    assert synced_resource.access_list_is_fresh()
    assert sso_runs() == 1


def test_a_stranger_is_told_why_and_how_to_get_access(client, fake_heroku, synced_resource):
    response = log_in(client, fake_heroku, synced_resource, "stranger@example.com")
    assert response.status_code == 403
    page = response.content.decode()
    assert "not a collaborator or team member of the app solo-app" in page
    assert "Ask an owner or admin of solo-app" in page


def test_upstream_failure_within_the_grace_period_decides_on_the_stored_list(
    client, fake_heroku, synced_resource, settings
):
    settings.SSO_REFETCH_TIMEOUT = 0.5
    settings.SSO_STALE_GRACE = 3600
    age_list(synced_resource, 600)
    fake_heroku.inject("503")
    before = list(synced_resource.grants.values_list("email", "heroku_user_id"))
    assert log_in(client, fake_heroku, synced_resource, DEV).status_code == 302
    assert list(synced_resource.grants.values_list("email", "heroku_user_id")) == before
    assert fake_heroku.paths()  # it did ask
    run = SyncRun.objects.get(trigger=SyncRun.Trigger.SSO)
    assert (run.failed, run.synced) == (1, 0)


def test_upstream_failure_within_grace_still_denies_someone_not_on_the_stored_list(
    client, fake_heroku, synced_resource, settings
):
    settings.SSO_REFETCH_TIMEOUT = 0.5
    age_list(synced_resource, 600)
    fake_heroku.inject("503")
    response = log_in(client, fake_heroku, synced_resource, NEWCOMER)
    assert response.status_code == 403
    assert "current list could not be obtained" in response.content.decode()


def test_upstream_failure_after_the_grace_period_denies(
    client, fake_heroku, synced_resource, settings
):
    settings.SSO_REFETCH_TIMEOUT = 0.5
    settings.SSO_STALE_GRACE = 3600
    age_list(synced_resource, 3601)
    fake_heroku.inject("503")
    response = log_in(client, fake_heroku, synced_resource, DEV)
    assert response.status_code == 403
    assert "could not confirm" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_list_never_synced_has_no_grace(client, fake_heroku, synced_resource, settings):
    settings.SSO_REFETCH_TIMEOUT = 0.5
    AddonResource.objects.filter(pk=synced_resource.pk).update(last_synced_at=None)
    fake_heroku.inject("503")
    assert log_in(client, fake_heroku, synced_resource, DEV).status_code == 403


def test_a_hanging_heroku_costs_at_most_the_refetch_timeout(
    client, fake_heroku, synced_resource, hung_heroku, settings
):
    # A real hang and a real clock: what is bounded is a wait on a socket. The hang never ends,
    # so only the deadline can end the wait. Without it, the re-fetch's three attempts would wait
    # HEROKU_API_TIMEOUT (10 s) each; with the deadline on each attempt but not on the retries,
    # three times 0.3 s plus 1.5 s of back-off. The bound leaves a loaded machine a second and a
    # half for the login itself and catches both.
    settings.SSO_REFETCH_TIMEOUT = 0.3
    settings.HEROKU_API_URL = hung_heroku.url
    age_list(synced_resource, 600)

    started = time.monotonic()
    response = log_in(client, fake_heroku, synced_resource, DEV)
    elapsed = time.monotonic() - started

    assert response.status_code == 302  # within grace
    assert hung_heroku.connections == 1  # no retry starts after the deadline
    assert elapsed < settings.SSO_REFETCH_TIMEOUT + 1.5
    run = SyncRun.objects.get(trigger=SyncRun.Trigger.SSO)
    assert (run.failed, run.synced) == (1, 0)


def test_an_addon_gone_upstream_is_refused(client, fake_heroku, synced_resource):
    age_list(synced_resource, 301)
    fake_heroku.world.remove_addon(str(synced_resource.uuid))
    response = log_in(client, fake_heroku, synced_resource, DEV)
    assert response.status_code == 403
    assert "no longer installed" in response.content.decode()


def test_a_refetch_that_raises_is_a_failed_refetch_not_a_500(
    client, resource, grant, monkeypatch, settings
):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("addons.sso.services.sync_resource", broken)
    age_list(resource, 301)
    assert client.post(LOGIN, sso_form(resource)).status_code == 302  # within grace
    age_list(resource, settings.SSO_STALE_GRACE + 1)
    assert client.post(LOGIN, sso_form(resource)).status_code == 403


# Matching on the stored list -----------------------------------------------------------------
def test_the_user_id_matches_before_the_email(resource):
    grant = AccessGrant.objects.create(
        resource=resource, email="old@example.com", heroku_user_id="u1"
    )
    assert find_grant(resource, user_id="u1", email="new@example.com") == grant


def test_the_email_matches_a_grant_without_a_user_id(resource):
    grant = AccessGrant.objects.create(resource=resource, email="dev@example.com")
    assert find_grant(resource, user_id="u1", email="DEV@example.com") == grant


def test_the_email_of_a_grant_bound_to_another_user_does_not_match(resource):
    AccessGrant.objects.create(resource=resource, email="dev@example.com", heroku_user_id="u2")
    assert find_grant(resource, user_id="u1", email="dev@example.com") is None


# Removals on Heroku, and answers that cannot be true ------------------------------------------
TEAM = [f"dev{i}@example.com" for i in range(4)]
OWNER = "owner@example.com"


@pytest.fixture
def five_person_app(fake_heroku, make_resource):
    """A personal app of OWNER with the four collaborators TEAM, its list synced just now."""
    resource = make_resource(app_name="five-app", owner=OWNER, collaborators=TEAM)
    assert sync_resource(resource, trigger=SyncRun.Trigger.CRON).ok
    return resource


def test_people_the_owner_removes_lose_the_dashboard_after_the_next_sync(
    client_factory, fake_heroku, five_person_app
):
    resource = five_person_app
    sessions = {email: client_factory() for email in [OWNER, *TEAM]}
    for email, browser in sessions.items():
        assert log_in(browser, fake_heroku, resource, email).status_code == 302, email
        assert browser.get(dashboard_url(resource)).status_code == 200
    for email in TEAM:
        fake_heroku.world.remove_collaborator(str(resource.uuid), email)

    call_command("sync_access", stdout=io.StringIO())  # the next sync: cron or the schedule

    assert set(resource.grants.values_list("email", flat=True)) == {OWNER}
    for email in TEAM:
        response = sessions[email].get(dashboard_url(resource))
        assert response.status_code == 403, email
        assert "no longer a collaborator or team member" in response.content.decode()
        again = log_in(client_factory(), fake_heroku, resource, email, timestamp=a_while_ago())
        assert again.status_code == 403, email
        assert "not a collaborator or team member of the app five-app" in again.content.decode()
    assert sessions[OWNER].get(dashboard_url(resource)).status_code == 200
    owner_again = log_in(client_factory(), fake_heroku, resource, OWNER, timestamp=a_while_ago())
    assert owner_again.status_code == 302


def test_an_answer_without_the_owner_is_refused_and_the_stored_list_decides_within_grace(
    client_factory, fake_heroku, five_person_app, settings
):
    resource = five_person_app
    settings.SSO_STALE_GRACE = 3600
    fake_heroku.world.remove_collaborator(str(resource.uuid), OWNER)  # impossible upstream
    age_list(resource, 600)

    assert log_in(client_factory(), fake_heroku, resource, OWNER).status_code == 302
    assert log_in(client_factory(), fake_heroku, resource, TEAM[0]).status_code == 302

    resource.refresh_from_db()
    assert resource.sync_status == AddonResource.SyncStatus.REFUSED
    assert "without its owner owner@example.com" in resource.sync_error
    assert resource.grants.filter(email=OWNER).exists()  # the stored list is untouched
    run = SyncRun.objects.filter(trigger=SyncRun.Trigger.SSO).first()
    assert "without its owner" in run.failures[0]["error"]  # what operators see


def test_after_the_grace_an_impossible_answer_means_access_cannot_be_confirmed_until_it_heals(
    client_factory, fake_heroku, five_person_app, settings
):
    resource = five_person_app
    settings.SSO_STALE_GRACE = 3600
    fake_heroku.world.remove_collaborator(str(resource.uuid), OWNER)
    age_list(resource, 3601)

    refused = log_in(client_factory(), fake_heroku, resource, OWNER)
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "could not confirm" in page and "try again in a few minutes" in page
    assert "not a collaborator" not in page  # nobody is told they were removed

    fake_heroku.world.add_collaborator(str(resource.uuid), OWNER)  # Heroku answers sanely again
    healed = log_in(client_factory(), fake_heroku, resource, OWNER, timestamp=a_while_ago())
    assert healed.status_code == 302
    resource.refresh_from_db()
    assert resource.sync_status == AddonResource.SyncStatus.OK  # no operator action was needed


def test_while_the_breaker_pauses_additions_newcomers_wait_and_removals_still_apply(
    client_factory, fake_heroku, synced_resource
):
    SyncRun.objects.create(
        trigger=SyncRun.Trigger.CRON,
        breaker_tripped_at=timezone.now(),
        lists_compared=40,
        lists_shrunk=30,
    )
    fake_heroku.world.add_collaborator(str(synced_resource.uuid), NEWCOMER)
    fake_heroku.world.remove_collaborator(str(synced_resource.uuid), "b@example.com")

    newcomer = log_in(client_factory(), fake_heroku, synced_resource, NEWCOMER)

    assert newcomer.status_code == 403
    page = newcomer.content.decode()
    assert "New access to add-ons is on hold" in page and "try again later" in page
    synced_resource.refresh_from_db()
    assert synced_resource.sync_status == AddonResource.SyncStatus.PAUSED
    assert not synced_resource.grants.filter(email=NEWCOMER).exists()
    assert not synced_resource.grants.filter(email="b@example.com").exists()  # removal applied
    assert (
        log_in(client_factory(), fake_heroku, synced_resource, "b@example.com").status_code == 403
    )
    assert log_in(client_factory(), fake_heroku, synced_resource, DEV).status_code == 302
