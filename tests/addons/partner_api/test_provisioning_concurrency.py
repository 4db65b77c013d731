"""Two deliveries of one provisioning request at the same moment make one resource."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from addons.models import AddonResource, PartnerAPICall
from tests.addons.partner_api.partner_api import Heroku, provision_body


@pytest.mark.django_db(transaction=True)
def test_simultaneous_deliveries_make_one_resource_and_get_one_answer(addon, fake_heroku, queued):
    resource_uuid, _ = fake_heroku.world.add_resource()
    code = fake_heroku.world.create_grant(resource_uuid, addon.oauth_client_secret)
    body = provision_body(uuid.UUID(resource_uuid), code=code)
    start = threading.Barrier(2)
    answers, errors = [], []

    def deliver():
        try:
            start.wait()
            response = Heroku(Client(), addon).provision(body)
            answers.append((response.status_code, response.json()))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(answers) == 2
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    assert AddonResource.objects.filter(uuid=resource_uuid).count() == 1
    resource = AddonResource.objects.get(uuid=resource_uuid)
    # Only the delivery that created the row spent the single-use grant.
    assert fake_heroku.paths().count("/oauth/token") == 1
    assert resource.access_token and resource.grant_error == ""
    assert sorted(PartnerAPICall.objects.values_list("outcome", flat=True)) == [
        "provisioned; tokens stored",
        "repeated delivery: answered as before",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_unique_uuid_decides_a_race_the_first_look_missed(addon, monkeypatch, queued):
    """The loser of a race sees no row at first, then hits the unique constraint."""
    from addons.partner_api import services

    resource_uuid = uuid.uuid4()
    body = provision_body(resource_uuid)
    first = Heroku(Client(), addon).provision(body)
    real_lookup = services._existing_resource
    lookups = []

    def lookup_missing_the_first_time(value):
        lookups.append(value)
        return None if len(lookups) == 1 else real_lookup(value)

    monkeypatch.setattr(services, "_existing_resource", lookup_missing_the_first_time)
    second = Heroku(Client(), addon).provision(body)

    assert len(lookups) == 2  # the first look, then the one after the IntegrityError
    assert second.status_code == first.status_code == 200
    assert second.json() == first.json()
    assert AddonResource.objects.filter(uuid=resource_uuid).count() == 1
