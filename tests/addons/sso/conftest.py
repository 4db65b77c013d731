"""Fixtures of the Add-on SSO tests: a Heroku user on `resource`'s access list, logged in."""

import pytest

from addons.models import AccessGrant
from tests.builders import HEROKU_EMAIL, HEROKU_USER_ID, sso_form


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


@pytest.fixture
def sso_client(client, resource, grant):
    """A browser with a Heroku SSO session for RESOURCE as the user of GRANT."""
    response = client.post("/sso/login", sso_form(resource))
    assert response.status_code == 302, response.content
    return client
