"""Fixtures for the add-ons tests: an add-on, its plan, and resources that the fake Heroku knows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from addons.models import Addon, AddonResource, Plan

CLIENT_SECRET = "client-secret-for-tests"


@pytest.fixture
def addon(company):
    return Addon.objects.create(
        company=company, slug="acme-search", name="Acme Search", oauth_client_secret=CLIENT_SECRET
    )


@pytest.fixture
def plan(addon):
    return Plan.objects.create(addon=addon, slug="basic", name="Basic")


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
