"""Fixtures for the add-on tests: add-ons, plans, resources the fake Heroku knows, a client that
plays Heroku against the Partner API, and Heroku SSO logins. Named by the state they put the world
in."""

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Company
from addons.models import AccessGrant, Addon, AddonResource, Plan
from addons.sso.tokens import legacy_token, user_scoped_token
from tests.addons.partner_api.partner_api import Heroku

CLIENT_SECRET = "client-secret-for-tests"
SSO_SALT = "kL9vQ2sX7mN4pR8tW1yZ5bC3dF6gH0jA"  # 32 characters, as Heroku generates
HEROKU_USER_ID = "7d2f0b6e-5c1a-4a8e-9f3b-2e6d8c4a1b09"
HEROKU_EMAIL = "dev@example.com"


@pytest.fixture
def addon(company):
    """An add-on of `company` with an OAuth client secret, an SSO salt and public and hidden
    plans."""
    addon = Addon.objects.create(
        company=company,
        slug="acme-search",
        name="Acme Search",
        oauth_client_secret=CLIENT_SECRET,
        sso_salt=SSO_SALT,
        base_url="https://portal.example.com/heroku/resources",
        sso_url="https://portal.example.com/sso/login",
        regions=["us", "eu"],
        config_vars=["ACME_SEARCH_URL"],
    )
    Plan.objects.create(addon=addon, slug="basic", name="Basic", price_cents=0)
    Plan.objects.create(addon=addon, slug="pro", name="Pro", price_cents=2500)
    Plan.objects.create(
        addon=addon,
        slug="enterprise",
        name="Enterprise",
        price_cents=90000,
        visibility=Plan.Visibility.HIDDEN,
    )
    return addon


@pytest.fixture
def other_addon(db):
    """An add-on of another company, with a plan of the same name as `addon`'s."""
    other = Company.objects.create(name="Other Co", slug="other")
    addon = Addon.objects.create(
        company=other, slug="other-cache", name="Other Cache", oauth_client_secret="x" * 32
    )
    Plan.objects.create(addon=addon, slug="basic", name="Basic")
    return addon


@pytest.fixture
def enqueued(monkeypatch):
    """The background tasks the provisioning enqueues, recorded instead of run.

    These tests only check that `addons.access.tasks.sync_resource_task` is asked for, never
    that it runs (tests/addons/access/ cover the sync).
    """
    calls = []
    monkeypatch.setattr(
        "addons.partner_api.grants.async_task",
        lambda func, *args, **kw: calls.append((func, *args)),
    )
    return calls


@pytest.fixture
def heroku(client, addon):
    return Heroku(client, addon)


@pytest.fixture
def provisioned_resource(addon):
    """A provisioned resource of `addon` with tokens."""
    return AddonResource.objects.create(
        uuid=uuid.uuid4(),
        addon=addon,
        plan=addon.plans.get(slug="basic"),
        name="acme-search-provisioned",
        state=AddonResource.State.PROVISIONED,
        access_token="access-token-value",
        refresh_token="refresh-token-value",
        config={"ACME_SEARCH_URL": "https://portal.example.com/resources/x"},
    )


@pytest.fixture
def plan(addon):
    """The add-on's public plan "basic"."""
    return addon.plans.get(slug="basic")


@pytest.fixture
def make_resource(fake_heroku, addon, plan):
    """Return a function that adds a resource to the fake Heroku and to the database."""

    def make(**world_kwargs) -> AddonResource:
        resource_uuid, token = fake_heroku.world.add_resource(**world_kwargs)
        refresh = f"refresh-{resource_uuid}"
        fake_heroku.world.refresh_tokens[refresh] = {
            "resource": resource_uuid,
            "client_secret": CLIENT_SECRET,
        }
        return AddonResource.objects.create(
            uuid=resource_uuid,
            addon=addon,
            plan=plan,
            state=AddonResource.State.PROVISIONED,
            access_token=token,
            refresh_token=refresh,
            token_expires_at=timezone.now() + timedelta(hours=8),
        )

    return make


@pytest.fixture
def team_resource(make_resource):
    """A team app's resource: 2 collaborators, 1,200 team members (more than one page), and
    one person listed both ways in different case."""
    members = [f"member{i:04}@example.com" for i in range(1200)] + ["dup@example.com"]
    return make_resource(
        app_name="team-app",
        team="acme-team",
        collaborators=["Dup@Example.com", "c@example.com"],
        members=members,
    )


@pytest.fixture
def personal_resource(make_resource):
    """A personal app's resource: its owner and two collaborators."""
    return make_resource(
        app_name="solo-app",
        owner="owner@example.com",
        collaborators=["a@example.com", "b@example.com"],
    )


@pytest.fixture
def resource(addon, plan):
    """A provisioned resource whose access list was synced just now."""
    return AddonResource.objects.create(
        uuid=uuid.uuid4(),
        addon=addon,
        plan=plan,
        name="acme-search-curved-12345",
        state=AddonResource.State.PROVISIONED,
        app_name="happy-app",
        config={"ACME_SEARCH_URL": "https://search.acme.example/happy"},
        last_synced_at=timezone.now(),
        sync_status=AddonResource.SyncStatus.OK,
    )


@pytest.fixture
def other_resource(addon, plan):
    return AddonResource.objects.create(
        uuid=uuid.uuid4(),
        addon=addon,
        plan=plan,
        state=AddonResource.State.PROVISIONED,
        app_name="other-app",
        last_synced_at=timezone.now(),
    )


@pytest.fixture
def grant(resource):
    """The Heroku user HEROKU_USER_ID is a collaborator of the resource's app."""
    return AccessGrant.objects.create(
        resource=resource,
        email=HEROKU_EMAIL,
        heroku_user_id=HEROKU_USER_ID,
        sources=[AccessGrant.Source.COLLABORATOR],
        role="collaborator",
    )


def sso_form(
    resource,
    *,
    user_id=HEROKU_USER_ID,
    email=HEROKU_EMAIL,
    timestamp=None,
    salt=SSO_SALT,
    nav_data="eyJhcHBuYW1lIjoiaGFwcHktYXBwIn0=",
):
    """Return the form Heroku would post to log USER_ID in to RESOURCE, signed with SALT."""
    resource_id = str(resource.uuid if hasattr(resource, "uuid") else resource)
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "resource_id": resource_id,
        "timestamp": timestamp,
        "user_scoped_resource_token": user_scoped_token(
            resource_id=resource_id, salt=salt, timestamp=timestamp, user_id=user_id, email=email
        ),
        "resource_token": legacy_token(resource_id=resource_id, salt=salt, timestamp=timestamp),
        "email": email,
        "user_id": user_id,
        "app": "happy-app",
        "context_app": "happy-app",
        "nav-data": nav_data,
    }


@pytest.fixture
def sso_client(client, resource, grant):
    """A browser with a Heroku SSO session for RESOURCE as the user of GRANT."""
    response = client.post("/sso/login", sso_form(resource))
    assert response.status_code == 302, response.content
    return client
