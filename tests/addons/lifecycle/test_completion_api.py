"""The portal's API for the partner's service: signed, replay-safe, and clear about what it
refuses. Every refusal changes nothing."""

import json
import time

import pytest

from accounts.models import AuditEvent
from addons.models import AddonResource, AddonService
from tests.addons.lifecycle.conftest import PARTNER_SECRET
from tests.partner_service import sign

pytestmark = pytest.mark.django_db

CONFIG = {"config": {"ACME_SEARCH_URL": "https://search.acme.example/new"}}


@pytest.fixture
def signed_resource(http_addon, provisioned_resource):
    """A provisioned resource of an add-on whose service has a signing secret."""
    return provisioned_resource


def unchanged(resource) -> bool:
    before = (resource.state, resource.config, resource.config_version)
    resource.refresh_from_db()
    return (resource.state, resource.config, resource.config_version) == before


BODY = json.dumps(CONFIG).encode()


@pytest.mark.parametrize(
    "make_headers",
    [
        lambda: {},
        lambda: sign("another-secret-entirely-not-the-partners", BODY),
        lambda: sign(PARTNER_SECRET, BODY, timestamp=int(time.time()) - 301),
        lambda: sign(PARTNER_SECRET, BODY, timestamp=int(time.time()) + 301),
        lambda: {**sign(PARTNER_SECRET, BODY), "Portal-Event-Id": "swapped"},
    ],
    ids=["unsigned", "another secret", "old", "future", "id swapped"],
)
def test_a_request_not_signed_now_with_the_addons_secret_is_401(
    partner, signed_resource, make_headers
):
    response = partner.report(signed_resource.uuid, "config", raw=BODY, headers=make_headers())
    assert response.status_code == 401
    assert response.json()["message"]
    assert unchanged(signed_resource)


def test_a_replayed_event_id_is_401(partner, signed_resource):
    raw = json.dumps(CONFIG).encode()
    headers = sign(PARTNER_SECRET, raw)
    assert (
        partner.report(signed_resource.uuid, "config", raw=raw, headers=headers).status_code == 200
    )
    again = partner.report(signed_resource.uuid, "config", raw=raw, headers=headers)
    assert again.status_code == 401
    assert "used before" in again.json()["message"]


def test_an_addon_without_a_service_secret_accepts_nothing(partner, provisioned_resource):
    AddonService.objects.create(addon=provisioned_resource.addon, url="https://x.example/e")
    response = partner.report(provisioned_resource.uuid, "config", CONFIG)
    assert response.status_code == 401


def test_another_addons_secret_does_not_open_this_addons_resources(
    client, signed_resource, other_addon, plan
):
    AddonService.objects.create(
        addon=other_addon, url="https://other.example/e", signing_secret="other-addons-secret-xyz"
    )
    from tests.addons.lifecycle.conftest import Partner

    response = Partner(client, "other-addons-secret-xyz").report(
        signed_resource.uuid, "config", CONFIG
    )
    assert response.status_code == 401


@pytest.mark.parametrize("resource_uuid", ["0b6e2f7d-1c5a-4a8e-9f3b-2e6d8c4a1b09", "not-a-uuid"])
def test_an_unknown_resource_is_404(partner, http_addon, resource_uuid):
    assert partner.report(resource_uuid, "provisioned", CONFIG).status_code == 404


def test_only_post_is_allowed(client, signed_resource):
    response = client.get(f"/lifecycle/resources/{signed_resource.uuid}/config")
    assert response.status_code == 405 and response["Allow"] == "POST"


@pytest.mark.parametrize(
    "raw,status",
    [
        (b"{not json", 400),
        (b"[1]", 400),
        (b'{"config": ["A"]}', 400),
        (b'{"config": {"ACME_SEARCH_URL": 42}}', 422),
        (b'{"config": {"OTHER_URL": "x"}}', 422),
        (b'{"config": {"ACME_SEARCH_URL": "x\\u0000y"}}', 422),
        (b'{"config": {"acme_search_url": "x"}}', 422),
        (b'{"config": {"ACME_SEARCH_URL": "' + b"x" * (70 * 1024) + b'"}}', 413),
    ],
)
def test_a_body_that_is_not_what_the_path_expects_gets_a_4xx_and_changes_nothing(
    partner, signed_resource, raw, status
):
    response = partner.report(signed_resource.uuid, "config", raw=raw)
    assert response.status_code == status
    assert response.json()["message"]
    assert unchanged(signed_resource)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CONFIG_UPDATED).exists()


def test_completing_what_the_resource_does_not_wait_for_is_409_or_harmless(
    partner, signed_resource
):
    # Already provisioned: a completion repeats what happened, harmlessly.
    done = partner.report(signed_resource.uuid, "provisioned", CONFIG)
    assert done.status_code == 200 and "already provisioned" in done.json()["message"]
    assert unchanged(signed_resource)
    # Heroku never asked to de-provision it: that is a conflict.
    conflict = partner.report(signed_resource.uuid, "deprovisioned", {})
    assert conflict.status_code == 409
    assert "has not asked" in conflict.json()["message"]
    signed_resource.refresh_from_db()
    assert signed_resource.state == AddonResource.State.PROVISIONED
