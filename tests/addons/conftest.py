"""Fixtures for the add-on tests: add-ons, plans, resources the fake Heroku knows, and a client
that plays Heroku against the Partner API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Company
from addons.models import Addon, AddonResource, Plan
from tests.addons.partner_api import Heroku

CLIENT_SECRET = "client-secret-for-tests"


@pytest.fixture
def addon(company):
    """An add-on of `company` with an OAuth client secret and public and hidden plans."""
    addon = Addon.objects.create(
        company=company,
        slug="acme-search",
        name="Acme Search",
        oauth_client_secret=CLIENT_SECRET,
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

    `addons.tasks.sync_resource_task` belongs to the sync engineer; these tests only check that
    it is asked for, never that it runs.
    """
    calls = []
    monkeypatch.setattr(
        "addons.provisioning.async_task", lambda func, *args, **kw: calls.append((func, *args))
    )
    return calls


@pytest.fixture
def heroku(client, addon):
    return Heroku(client, addon)


@pytest.fixture
def provisioned_resource(addon):
    """A provisioned resource of `addon` with tokens."""
    import uuid

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
