"""Fixtures of the accounts tests only (the shared ones are in tests/conftest.py)."""

import uuid

import pytest
from aiosmtpd.controller import Controller

from accounts import services
from accounts.models import CompanyUser
from addons.models import AddonResource
from tests.builders import make_provider, make_unverified_person
from tests.smtp import MessageCollector, free_port


@pytest.fixture
def newcomer(db, password):
    """A person whose address is verified, who has not joined the provider program."""
    return make_provider("newcomer@example.com", password, joined=False)


@pytest.fixture
def unverified_person(db, password):
    """unverified@example.com signed up and never followed the verification link."""
    return make_unverified_person("unverified@example.com", password)


@pytest.fixture
def second_manager(company, manager, password):
    """Another company user of `company` with every right."""
    user = make_provider("manager2@example.com", password)
    return CompanyUser.objects.create(company=company, user=user, added_by=manager.user)


@pytest.fixture
def supporter_client(client, supporter):
    """A browser logged in as `supporter`."""
    client.force_login(supporter.user)
    return client


@pytest.fixture
def invitation_token(pending_invitation):
    """The token of the link in the pending invitation's email."""
    return services.make_invitation_token(pending_invitation)


@pytest.fixture
def invitee(db, password):
    """The person the pending invitation was sent to, signed up and in the program."""
    return make_provider("invitee@example.com", password)


@pytest.fixture
def resources_installed_by_supporter(addon, plan, hidden_plan, supporter):
    """Two provisioned resources `supporter` installed: one on a public plan, one on a hidden."""
    return [
        AddonResource.objects.create(
            uuid=uuid.uuid4(),
            addon=addon,
            plan=installed_plan,
            name=f"resource-{installed_plan.slug}",
            state=AddonResource.State.PROVISIONED,
            installed_by=supporter.user,
        )
        for installed_plan in (plan, hidden_plan)
    ]


@pytest.fixture
def smtp_server():
    """An SMTP server listening on 127.0.0.1; `.handler.messages` holds what arrived."""
    collector = MessageCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.handler = collector
    try:
        yield controller
    finally:
        controller.stop()


# Log in with Heroku -------------------------------------------------------------------------------
HEROKU_CLIENT_ID = "portal-oauth-client"
HEROKU_CLIENT_SECRET = "portal-oauth-client-secret"
HEROKU_CALLBACK = "http://testserver/accounts/heroku/login/callback/"


@pytest.fixture
def heroku_login_on(settings):
    """Log in with Heroku, on: the operator set the portal's Heroku OAuth client."""
    settings.HEROKU_OAUTH_CLIENT_ID = HEROKU_CLIENT_ID
    settings.HEROKU_OAUTH_CLIENT_SECRET = HEROKU_CLIENT_SECRET


@pytest.fixture
def heroku_id(fake_heroku, heroku_login_on):
    """The fake Heroku, knowing the portal's OAuth client and its callback URL."""
    fake_heroku.world.add_oauth_client(HEROKU_CLIENT_ID, HEROKU_CLIENT_SECRET, HEROKU_CALLBACK)
    return fake_heroku
