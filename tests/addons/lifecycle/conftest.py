"""Fixtures of the add-on lifecycle tests: the partner's service (tests/partner_service.py) and
the add-on it provisions, resources the fake Heroku knows, and the partner calling the portal's
API.

    partner_service     the partner's service, running on loopback, answering "done" by default
    http_addon          `addon`, provisioned by `partner_service` over HTTP (its service URL and
                        signing secret set)
    heroku_addon        the uuid of an add-on the fake Heroku knows, still "provisioning"
    grant_code          a provisioning grant of `heroku_addon` for `addon`'s client secret
    log_input_url       a Logplex input URL on the fake Heroku
    partner             the partner's service calling the portal's API through the test client
    live_resource       a provisioned resource of `addon` that the fake Heroku knows, with tokens,
                        config and a log input URL on the fake
    recording_provisioner  ADDON_PROVISIONER set to RecordingProvisioner (tests/addons/lifecycle/
                        provisioners.py), its record empty
"""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from addons.models import AddonResource, AddonService
from tests.addons.lifecycle.provisioners import RecordingProvisioner
from tests.partner_service import PartnerService, sign

PARTNER_SECRET = "partner-signing-secret-0123456789abcdefghij"


@pytest.fixture
def partner_service():
    """The partner's service on loopback, checking signatures with PARTNER_SECRET."""
    with PartnerService(secret=PARTNER_SECRET) as service:
        yield service


@pytest.fixture
def http_addon(addon, partner_service):
    """`addon`, whose resources its own service provisions over HTTP."""
    AddonService.objects.create(
        addon=addon,
        url=partner_service.events_url,
        signing_secret=PARTNER_SECRET,
        secret_generated_at=timezone.now(),
    )
    return addon


@pytest.fixture
def heroku_addon(fake_heroku):
    """An add-on the fake Heroku knows, still provisioning there (its uuid)."""
    resource_uuid, _ = fake_heroku.world.add_resource(
        plan="acme-search:basic", state="provisioning"
    )
    return uuid.UUID(resource_uuid)


@pytest.fixture
def log_input_url(fake_heroku):
    """A Logplex input URL on the fake Heroku (with credentials in it, as Logplex's have)."""
    return f"{fake_heroku.url.replace('//', '//token:secret@')}/log-input/app"


@pytest.fixture
def grant_code(fake_heroku, heroku_addon, addon):
    return fake_heroku.world.create_grant(str(heroku_addon), addon.oauth_client_secret)


class Partner:
    """The partner's service calling the portal's API (tests/partner_service.py signs alike)."""

    def __init__(self, client, secret: str = PARTNER_SECRET):
        self.client = client
        self.secret = secret

    def report(
        self, resource_uuid, what: str, body=None, *, headers=None, raw: bytes | None = None
    ):
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        signed = headers if headers is not None else sign(self.secret, data)
        return self.client.post(
            f"/lifecycle/resources/{resource_uuid}/{what}",
            data=data,
            content_type="application/json",
            headers=signed,
        )


@pytest.fixture
def partner(client):
    return Partner(client)


@pytest.fixture
def live_resource(make_resource, fake_heroku, log_input_url):
    """A provisioned resource the fake Heroku knows, with tokens, its config on the fake too, and
    a log input URL on the fake."""
    resource = make_resource(app_name="live-app")
    config = {"ACME_SEARCH_URL": f"https://search.acme.example/{resource.uuid}?key=first"}
    fake_heroku.world.update_config(
        str(resource.uuid), [{"name": name, "value": value} for name, value in config.items()]
    )
    AddonResource.objects.filter(pk=resource.pk).update(
        config=config,
        config_version=1,
        config_pushed_version=1,
        provisioned_at=timezone.now() - timedelta(days=40),
        credentials_issued_at=timezone.now() - timedelta(days=40),
    )
    resource.refresh_from_db()
    resource.log_input_url = log_input_url
    resource.save(update_fields=["log_input_url"])
    return resource


@pytest.fixture
def recording_provisioner(settings):
    """ADDON_PROVISIONER names RecordingProvisioner, whose record starts empty."""
    settings.ADDON_PROVISIONER = "tests.addons.lifecycle.provisioners.RecordingProvisioner"
    RecordingProvisioner.reset()
    yield RecordingProvisioner
    RecordingProvisioner.reset()
