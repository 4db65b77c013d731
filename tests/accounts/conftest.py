"""Fixtures for the accounts tests, named by the state they put the world in."""

import uuid

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import Company, CompanyUser, User
from accounts.permissions import Permission
from addons.models import Addon, AddonResource, Plan


def make_provider(email: str, password: str, **extra) -> User:
    return User.objects.create_user(
        email, password, joined_provider_program_at=timezone.now(), **extra
    )


@pytest.fixture
def newcomer(db, password):
    """A person with an account who has not joined the provider program."""
    return User.objects.create_user("newcomer@example.com", password)


@pytest.fixture
def colleague(db, password):
    """A second person who has joined the provider program, not yet a company user."""
    return make_provider("colleague@example.com", password, name="Colin Colleague")


@pytest.fixture
def supporter(company, manager, password):
    """A company user who may only handle support tickets."""
    user = make_provider("support@example.com", password)
    return CompanyUser.objects.create(
        company=company,
        user=user,
        permissions={Permission.SUPPORT_TICKETS},
        added_by=manager.user,
    )


@pytest.fixture
def second_manager(company, manager, password):
    user = make_provider("manager2@example.com", password)
    return CompanyUser.objects.create(company=company, user=user, added_by=manager.user)


@pytest.fixture
def other_company(db, password):
    """Another company, with its own manager, unrelated to `company`."""
    other = Company.objects.create(name="Rival Add-ons", slug="rival")
    user = make_provider("rival@example.com", password)
    CompanyUser.objects.create(company=other, user=user)
    return other


@pytest.fixture
def other_company_user(other_company):
    return other_company.members.get()


@pytest.fixture
def pending_invitation(company, manager):
    return services.invite_company_user(
        company=company,
        email="invitee@example.com",
        permissions={Permission.SUPPORT_TICKETS, Permission.OAUTH_SECRETS},
        invited_by=manager.user,
    )


@pytest.fixture
def invitation_token(pending_invitation):
    return services.make_invitation_token(pending_invitation)


@pytest.fixture
def invitee(db, password):
    """The person the pending invitation was sent to, signed up and in the program."""
    return make_provider("invitee@example.com", password)


@pytest.fixture
def addon(company):
    return Addon.objects.create(company=company, slug="acme-search", name="Acme Search")


@pytest.fixture
def hidden_plan(addon):
    return Plan.objects.create(
        addon=addon, slug="test", name="Test", visibility=Plan.Visibility.HIDDEN
    )


@pytest.fixture
def resources_installed_by_supporter(addon, hidden_plan, supporter):
    public_plan = Plan.objects.create(addon=addon, slug="basic", name="Basic")
    return [
        AddonResource.objects.create(
            uuid=uuid.uuid4(),
            addon=addon,
            plan=plan,
            name=f"resource-{plan.slug}",
            state=AddonResource.State.PROVISIONED,
            installed_by=supporter.user,
        )
        for plan in (public_plan, hidden_plan)
    ]


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager.user)
    return client


@pytest.fixture
def supporter_client(client, supporter):
    client.force_login(supporter.user)
    return client


@pytest.fixture
def operator(db, password):
    return User.objects.create_superuser("operator@example.com", password)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client
