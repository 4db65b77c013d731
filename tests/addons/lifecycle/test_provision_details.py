"""What Heroku sends at provisioning is kept and shown: region, options, callback URL, the log
input URL and drain token (both encrypted, and shown only as "set"). Unknown fields are ignored."""

import uuid

import pytest
from django.db import connection

from addons.models import AddonResource
from tests.addons.partner_api.partner_api import provision_body

pytestmark = pytest.mark.django_db

DRAIN_TOKEN = "d.01234567-89ab-cdef-0123-456789abcdef"
LOG_INPUT = "https://token:LOGPLEXsecret42@1.us.logplex.example/logs"


def raw_column(resource, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM addons_addonresource WHERE id = %s", [resource.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def detailed_resource(heroku):
    resource_uuid = uuid.uuid4()
    body = provision_body(
        resource_uuid,
        region="amazon-web-services::eu-west-1",
        options={"size": "large", "replicas": 2},
        log_input_url=LOG_INPUT,
        log_drain_token=DRAIN_TOKEN,
    )
    assert heroku.provision(body).status_code == 200
    return AddonResource.objects.get(uuid=resource_uuid)


def test_the_provision_details_are_stored_and_the_logplex_secrets_encrypted(detailed_resource):
    resource = detailed_resource
    assert resource.region == "amazon-web-services::eu-west-1"
    assert resource.options == {"size": "large", "replicas": 2}
    assert resource.callback_url == f"https://api.heroku.com/addons/{resource.uuid}"
    assert (resource.log_input_url, resource.log_drain_token) == (LOG_INPUT, DRAIN_TOKEN)
    assert DRAIN_TOKEN not in raw_column(resource, "log_drain_token")
    assert "LOGPLEXsecret42" not in raw_column(resource, "log_input_url")


def test_the_resource_page_shows_them_and_never_the_secrets(manager_client, detailed_resource):
    page = manager_client.get(f"/addons/acme-search/resources/{detailed_resource.uuid}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "amazon-web-services::eu-west-1" in text
    assert "&quot;replicas&quot;: 2" in text
    assert f"https://api.heroku.com/addons/{detailed_resource.uuid}" in text
    assert "1.us.logplex.example" in text  # where the log input is, not its credentials
    assert "Log drain token</dt><dd>set (not shown)" in text
    assert DRAIN_TOKEN not in text and "LOGPLEXsecret42" not in text


def test_the_admin_says_they_are_set_and_never_shows_them(operator_client, detailed_resource):
    page = operator_client.get(f"/admin/addons/addonresource/{detailed_resource.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "log drain token set" in text.lower()
    assert DRAIN_TOKEN not in text and "LOGPLEXsecret42" not in text


def test_a_resource_without_them_says_not_set(manager_client, provisioned_resource):
    page = manager_client.get(f"/addons/acme-search/resources/{provisioned_resource.uuid}/")
    assert "Log drain token</dt><dd>not set" in page.content.decode()


def test_de_provisioning_forgets_the_logplex_secrets(heroku, detailed_resource):
    assert heroku.deprovision(detailed_resource.uuid).status_code == 204
    assert raw_column(detailed_resource, "log_drain_token") == ""
    assert raw_column(detailed_resource, "log_input_url") == ""


def test_details_of_the_wrong_type_are_refused(heroku):
    response = heroku.provision(provision_body(uuid.uuid4(), log_drain_token=["not", "text"]))
    assert response.status_code == 400
    assert "log_drain_token" in response.json()["message"]
    assert not AddonResource.objects.exists()
