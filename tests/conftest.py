"""Fixtures shared by the whole suite, each named by the state it puts the world in, and chained:
`company` → `manager` → `manager_client`; `addon` → `plan` → `resource` → `new_ticket`.

Each is defined once, here or, when it belongs to one area only, in that area's conftest.py. The
e2e, authz and reliability suites build whole worlds of their own on purpose (tests/authz/world.py,
tests/reliability/conftest.py), under names of their own. A test that needs one more of a kind
builds it with tests/builders.py.

People and companies
    password            the password of every person below
    provider            manager@example.com, who has joined the provider program
    company             Acme Add-ons (slug acme)
    manager             `provider` as a company user of `company` with every right
    manager_client      a browser logged in as `manager`
    colleague           colleague@example.com, in the program, not a company user yet
    supporter           support@example.com, a company user holding only support_tickets
    operator            operator@example.com, a superuser; `operator_client` is logged in to the
                        admin
    other_company       Rival Add-ons, with its own manager (`other_company_user`)
    pending_invitation  an invitation of invitee@example.com to `company`, not yet accepted

Add-ons and resources
    addon               Acme Search (acme-search) of `company`: OAuth client secret, SSO salt,
                        URLs, regions, config vars, public plans basic and pro, hidden enterprise
    plan, hidden_plan   its plans basic (public) and enterprise (hidden)
    other_addon         Other Cache (other-cache) of `other_company`, with a plan basic
    provisioned_resource  a provisioned resource of `addon` with tokens, never synced
    resource            a provisioned resource of `addon` whose access list was synced just now
    fake_heroku         the loopback fake Heroku, with HEROKU_API_URL and HEROKU_ID_URL at it
    make_resource       makes a resource that the fake Heroku and the database both know
    personal_resource   such a resource on a personal app: solo-app, its owner and two
                        collaborators; never synced
    demo_loaded         the demo data of `load_demo_data`, against the fake's demo world (serving)

Tickets
    intake_token        `addon`'s ticket intake token
    muted_agent, member_without_support   company users who get no ticket emails
    new_ticket          a ticket on `resource` that a dashboard user opened
    escalated_ticket    `new_ticket`, escalated (its emails sent); `closed_ticket`, then closed
"""

import io
import os
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

from accounts import services as accounts_services
from accounts.models import Company, CompanyUser, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.models import Addon, AddonResource, Plan, Ticket
from addons.tickets.services import TicketSource, escalate_ticket, open_ticket
from tests.builders import CLIENT_SECRET, SSO_SALT, make_provider

# Property-based tests explore new random inputs on a developer's machine; in CI they replay a fixed
# sequence, so that a red CI run always means a change in the code, never a new draw.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start every test with an empty cache: the invitation-link throttle counts in it."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# People and companies --------------------------------------------------------------------------
@pytest.fixture
def password():
    return "correct horse battery staple"


@pytest.fixture
def provider(db, password):
    """A person who has joined the provider program."""
    return make_provider("manager@example.com", password, name="Mia Manager")


@pytest.fixture
def company(db):
    return Company.objects.create(name="Acme Add-ons", slug="acme")


@pytest.fixture
def manager(company, provider):
    """A company user holding every permission."""
    return CompanyUser.objects.create(company=company, user=provider)


@pytest.fixture
def manager_client(client, manager):
    """A browser logged in as `manager`."""
    client.force_login(manager.user)
    return client


@pytest.fixture
def colleague(db, password):
    """A second person who has joined the provider program, not yet a company user."""
    return make_provider("colleague@example.com", password, name="Colin Colleague")


@pytest.fixture
def supporter(company, manager, password):
    """A company user who may only handle support tickets (ticket emails on)."""
    return CompanyUser.objects.create(
        company=company,
        user=make_provider("support@example.com", password),
        permissions={Permission.SUPPORT_TICKETS},
        added_by=manager.user,
    )


@pytest.fixture
def operator(db, password):
    """A superuser: an operator of the portal, who works in the Django admin."""
    return User.objects.create_superuser("operator@example.com", password)


@pytest.fixture
def operator_client(client, operator):
    """A browser logged in to the admin as `operator`."""
    client.force_login(operator)
    return client


@pytest.fixture
def other_company(db, password):
    """Another company, with its own manager, unrelated to `company`."""
    other = Company.objects.create(name="Rival Add-ons", slug="rival")
    CompanyUser.objects.create(company=other, user=make_provider("rival@example.com", password))
    return other


@pytest.fixture
def other_company_user(other_company):
    """The manager of `other_company`: every right, at another company."""
    return other_company.members.get()


@pytest.fixture
def pending_invitation(company, manager):
    """An invitation of invitee@example.com to `company`, sent by `manager`, not yet accepted."""
    return accounts_services.invite_company_user(
        company=company,
        email="invitee@example.com",
        permissions={Permission.SUPPORT_TICKETS, Permission.OAUTH_SECRETS},
        actor=accounts_services.CompanyUserActor(manager),
    )


# Add-ons and resources -------------------------------------------------------------------------
@pytest.fixture
def addon(company):
    """An add-on of `company` with an OAuth client secret, an SSO salt, its URLs, regions and
    config vars, and public and hidden plans."""
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
def plan(addon):
    """The add-on's public plan "basic"."""
    return addon.plans.get(slug="basic")


@pytest.fixture
def hidden_plan(addon):
    """The add-on's hidden plan "enterprise"."""
    return addon.plans.get(slug="enterprise")


@pytest.fixture
def other_addon(other_company):
    """An add-on of another company, with a plan of the same name as `addon`'s."""
    addon = Addon.objects.create(
        company=other_company, slug="other-cache", name="Other Cache", oauth_client_secret="x" * 32
    )
    Plan.objects.create(addon=addon, slug="basic", name="Basic")
    return addon


@pytest.fixture
def provisioned_resource(addon, plan):
    """A provisioned resource of `addon` with tokens; its access list was never synced."""
    return AddonResource.objects.create(
        uuid=uuid.uuid4(),
        addon=addon,
        plan=plan,
        name="acme-search-provisioned",
        state=AddonResource.State.PROVISIONED,
        access_token="access-token-value",
        refresh_token="refresh-token-value",
        config={"ACME_SEARCH_URL": "https://portal.example.com/resources/x"},
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
def fake_heroku(settings):
    """A loopback fake of api.heroku.com and id.heroku.com, with settings pointing at it."""
    from addons.heroku.fake import FakeHeroku

    with FakeHeroku() as fake:
        settings.HEROKU_API_URL = fake.url
        settings.HEROKU_ID_URL = fake.url
        yield fake


@pytest.fixture
def demo_loaded(settings):
    """The demo data, loaded as `make run` loads it: against the fake Heroku's demo world, which
    keeps serving (the demo's resources are provisioned and synced through it)."""
    from django.core.management import call_command

    from addons.heroku.fake import FakeHeroku
    from addons.heroku.fake.demo import demo_world

    with FakeHeroku(demo_world()) as fake:
        settings.HEROKU_API_URL = settings.HEROKU_ID_URL = fake.url
        call_command("load_demo_data", stdout=io.StringIO())
        yield fake


@pytest.fixture
def make_resource(fake_heroku, addon, plan):
    """Return a function that adds a resource to the fake Heroku and to the database.

    Its keyword arguments describe the resource's app to the fake (see World.add_resource); the
    resource is provisioned, holds tokens the fake accepts, and was never synced.
    """

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
def personal_resource(make_resource):
    """A personal app's resource: its owner and two collaborators; never synced."""
    return make_resource(
        app_name="solo-app",
        owner="owner@example.com",
        collaborators=["a@example.com", "b@example.com"],
    )


# Tickets ----------------------------------------------------------------------------------------
@pytest.fixture
def intake_token(addon):
    """The token `addon`'s support tool sends to the ticket intake."""
    token = "intake-token-for-acme-search"
    addon.set_intake_token(token)
    addon.save()
    return token


@pytest.fixture
def muted_agent(company, password):
    """A company user who holds support_tickets but switched ticket emails off."""
    return CompanyUser.objects.create(
        company=company,
        user=make_provider("quiet@example.com", password),
        permissions=frozenset({Permission.SUPPORT_TICKETS}),
        notify_on_ticket_events=False,
    )


@pytest.fixture
def member_without_support(company, password):
    """A company user who holds every right but support_tickets."""
    return CompanyUser.objects.create(
        company=company,
        user=make_provider("billing@example.com", password),
        permissions=ALL_PERMISSIONS - {Permission.SUPPORT_TICKETS},
    )


@pytest.fixture
def new_ticket(addon, resource):
    """A ticket a dashboard user opened; not escalated yet."""
    return open_ticket(
        addon=addon,
        resource=resource,
        subject="Database is slow",
        body="Queries take 10 s since this morning.",
        requester_email="customer@example.org",
        source=TicketSource.DASHBOARD,
    )


@pytest.fixture
def escalated_ticket(new_ticket, django_capture_on_commit_callbacks):
    """The new ticket, escalated to the add-on's support queue (its emails already sent)."""
    with django_capture_on_commit_callbacks(execute=True):
        escalate_ticket(ticket=new_ticket)
    new_ticket.refresh_from_db()
    return new_ticket


@pytest.fixture
def closed_ticket(escalated_ticket):
    Ticket.objects.filter(pk=escalated_ticket.pk).update(status=Ticket.Status.CLOSED)
    escalated_ticket.refresh_from_db()
    return escalated_ticket
