"""load_demo_data: the demo's people, and an add-on whose resources went through the real paths."""

import socket

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accounts import selectors
from accounts.models import CompanyUser, Invitation, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.heroku.fake import FakeHeroku
from addons.heroku.fake.demo import DEMO_RESOURCES, demo_world
from addons.models import Addon, AddonResource, Plan, SyncRun, Ticket

pytestmark = pytest.mark.django_db

MODELS = [m for app in ("accounts", "addons") for m in apps.get_app_config(app).get_models()]
# A run syncs the lists again, which is recorded (a SyncRun, the answers it was given).
RECORDS_OF_A_RUN = {"addons.SyncRun", "addons.PlatformResponse"}


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in MODELS
        if model._meta.label not in RECORDS_OF_A_RUN
    }


@pytest.fixture
def demo_heroku(settings):
    """The fake Heroku serving the demo's world, with the settings pointing at it."""
    with FakeHeroku(demo_world()) as fake:
        settings.HEROKU_API_URL = settings.HEROKU_ID_URL = fake.url
        yield fake


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_loads_the_demo_and_is_idempotent(demo_heroku, capsys):
    call_command("load_demo_data")
    first = row_counts()
    call_command("load_demo_data")
    assert row_counts() == first

    out = capsys.readouterr().out
    for login in ("admin@acme.test", "owner@acme.test", "support@acme.test", "dev@acme.test"):
        assert login in out
        # django-axes, the first backend, needs the request (it keys failures on the address).
        request = RequestFactory().post("/accounts/login/")
        credentials = {"username": login, "password": "portal-demo-password"}
        user = authenticate(request, **credentials)
        assert user is not None
        # Verified, so that the portal's login (which asks the unverified for a link) lets them in.
        assert selectors.has_verified_email(user)
    rights = {
        cu.user.email: cu.permissions
        for cu in CompanyUser.objects.filter(company__slug="acme").select_related("user")
    }
    assert rights == {
        "owner@acme.test": ALL_PERMISSIONS,
        "support@acme.test": {Permission.SUPPORT_TICKETS},
        "dev@acme.test": {Permission.MANAGE_MANIFESTS, Permission.OAUTH_SECRETS},
    }
    assert all(User.objects.get(email=e).has_joined_provider_program for e in rights)
    operator = User.objects.get(email="admin@acme.test")
    assert operator.is_staff and operator.is_superuser
    assert Invitation.objects.pending().get().email == "invitee@example.com"
    plans = {
        (p.slug, p.visibility, p.price_cents)
        for p in Plan.objects.filter(addon__slug="acme-search", addon__name="Acme Search")
    }
    assert plans == {("basic", "public", 0), ("test", "hidden", 0)}


def test_the_manifest_is_filled(demo_heroku):
    call_command("load_demo_data")
    addon = Addon.objects.get(slug="acme-search")
    assert addon.base_url.endswith("/heroku/resources")
    assert addon.sso_url.endswith("/sso/login")
    assert addon.regions == ["us", "eu"]
    assert addon.config_vars == ["ACME_SEARCH_URL"]
    assert addon.oauth_client_secret


def test_resources_are_provisioned_with_a_grant_and_synced_from_the_platform_api(demo_heroku):
    call_command("load_demo_data")
    resources = AddonResource.objects.filter(addon__slug="acme-search")
    assert {str(r.uuid) for r in resources} == {r["resource_uuid"] for r in DEMO_RESOURCES}
    for resource in resources:
        assert resource.state == AddonResource.State.PROVISIONED
        assert set(resource.config) == {"ACME_SEARCH_URL"}
        assert resource.access_token and not resource.grant_error
        assert resource.sync_status == AddonResource.SyncStatus.OK
        listed = set(resource.grants.values_list("email", flat=True))
        assert listed == demo_heroku.world.expected_emails(str(resource.uuid))
    # Each grant was exchanged at the fake's token endpoint; each list read from its API.
    paths = demo_heroku.paths()
    assert paths.count("/oauth/token") == len(DEMO_RESOURCES)
    assert sum(p.endswith("/collaborators") for p in paths) >= len(DEMO_RESOURCES)
    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.CRON).exists()


def test_a_restarted_fake_is_given_fresh_grants(demo_heroku, settings):
    call_command("load_demo_data")
    with FakeHeroku(demo_world()) as restarted:  # it knows none of the tokens the portal holds
        settings.HEROKU_API_URL = settings.HEROKU_ID_URL = restarted.url
        call_command("load_demo_data")
        assert restarted.paths().count("/oauth/token") == len(DEMO_RESOURCES)
    assert set(AddonResource.objects.values_list("sync_status", flat=True)) == {"ok"}


def test_tickets_in_every_state(demo_heroku):
    call_command("load_demo_data")
    tickets = Ticket.objects.filter(addon__slug="acme-search")
    assert set(tickets.values_list("status", flat=True)) == set(Ticket.Status.values)
    assert tickets.filter(escalated_at__isnull=False).exists()
    assert tickets.filter(assignee__email="support@acme.test").exists()
    opened = tickets.get(status=Ticket.Status.OPEN)
    kinds = set(opened.events.values_list("kind", flat=True))
    assert {"public_reply", "internal_note"} <= kinds
    assert all(t.resource is not None for t in tickets)


def test_without_the_fake_it_fails_saying_what_to_start(settings, closed_port):
    settings.HEROKU_API_URL = settings.HEROKU_ID_URL = f"http://127.0.0.1:{closed_port}"
    with pytest.raises(CommandError, match="fake_heroku --demo") as refused:
        call_command("load_demo_data")
    assert refused.value.returncode == 1
    assert not User.objects.exists()  # nothing half-written


def test_it_never_calls_the_real_heroku(settings):
    settings.HEROKU_API_URL = "https://api.heroku.com"
    settings.HEROKU_ID_URL = "https://id.heroku.com"
    with pytest.raises(CommandError, match="not the loopback fake Heroku"):
        call_command("load_demo_data")
    assert not User.objects.exists()


def test_a_fake_without_the_demo_world_is_named(settings):
    with FakeHeroku() as empty:
        settings.HEROKU_API_URL = settings.HEROKU_ID_URL = empty.url
        with pytest.raises(CommandError, match="--demo"):
            call_command("load_demo_data")
    assert not User.objects.exists()


def test_the_demo_people_log_in_with_heroku(settings, client):
    from tests.accounts.test_heroku_login import log_in_with_heroku, logged_in_as

    settings.HEROKU_OAUTH_CLIENT_ID = "partner-portal-demo"
    settings.HEROKU_OAUTH_CLIENT_SECRET = "partner-portal-demo-secret"
    world = demo_world(
        oauth_client_id="partner-portal-demo", oauth_client_secret="partner-portal-demo-secret"
    )
    with FakeHeroku(world) as fake:
        settings.HEROKU_API_URL = settings.HEROKU_ID_URL = fake.url
        call_command("load_demo_data")
        answer = log_in_with_heroku(client, fake, "owner@acme.test")
    assert answer.status_code == 302
    assert logged_in_as(client) == User.objects.get(email="owner@acme.test")
