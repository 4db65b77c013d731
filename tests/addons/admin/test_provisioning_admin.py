"""Operators see resources, grant failures and the Partner API call log in the admin."""

import uuid

import pytest
from django.urls import reverse

from addons.models import AddonResource, PartnerAPICall
from tests.addons.partner_api.partner_api import provision_body


@pytest.fixture
def failed_grant_resource(heroku, fake_heroku, addon):
    resource_uuid, _ = fake_heroku.world.add_resource()
    code = fake_heroku.world.create_grant(resource_uuid, addon.oauth_client_secret)
    fake_heroku.inject("503", match="/oauth/token")
    heroku.provision(provision_body(uuid.UUID(resource_uuid), code=code))
    heroku.provision(provision_body(uuid.uuid4()), authorization="Basic bm9wZTpub3Bl")
    return AddonResource.objects.get(uuid=resource_uuid), code


def test_resource_admin_shows_the_grant_error_and_no_secret(operator_client, failed_grant_resource):
    resource, code = failed_grant_resource
    resource.access_token = "an-access-token-value"
    resource.save()
    listing = operator_client.get(reverse("admin:addons_addonresource_changelist"))
    assert listing.status_code == 200
    page = operator_client.get(reverse("admin:addons_addonresource_change", args=[resource.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "HTTP 503" in html
    assert code not in html and "an-access-token-value" not in html
    filtered = operator_client.get(
        reverse("admin:addons_addonresource_changelist") + "?grant_error__isempty=0"
    )
    assert str(resource.uuid) in filtered.content.decode()


def test_call_log_admin_is_read_only_with_filters(operator_client, failed_grant_resource, addon):
    url = reverse("admin:addons_partnerapicall_changelist")
    response = operator_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "retry scheduled" in html and "unauthorized" in html
    assert addon.api_password not in html
    assert operator_client.get(url + "?status_code=401").status_code == 200
    call = PartnerAPICall.objects.first()
    change = operator_client.get(reverse("admin:addons_partnerapicall_change", args=[call.pk]))
    assert change.status_code == 200 and "Save" not in change.content.decode()
    assert operator_client.get(reverse("admin:addons_partnerapicall_add")).status_code == 403
    delete = reverse("admin:addons_partnerapicall_delete", args=[call.pk])
    assert operator_client.post(delete, {"post": "yes"}).status_code == 403
    assert PartnerAPICall.objects.filter(pk=call.pk).exists()
