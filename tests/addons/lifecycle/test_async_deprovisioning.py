"""Asynchronous de-provisioning: the service answers "pending", the portal answers Heroku 202,
keeps the resource's API access, and calls actions/deprovision once the service has finished."""

import pytest

from addons.models import AddonResource

pytestmark = pytest.mark.django_db


@pytest.fixture
def deprovisioning(heroku, http_addon, partner_service, live_resource):
    """`live_resource`, whose service answered Heroku's de-provisioning "pending"."""
    partner_service.modes["deprovision"] = "pending"
    response = heroku.deprovision(live_resource.uuid)
    assert response.status_code == 202, response.content
    return live_resource


def test_a_pending_deprovisioning_answers_202_and_keeps_the_token_until_heroku_is_told(
    heroku,
    http_addon,
    partner_service,
    live_resource,
    partner,
    fake_heroku,
    django_capture_on_commit_callbacks,
):
    partner_service.modes["deprovision"] = "pending"
    response = heroku.deprovision(live_resource.uuid)

    assert response.status_code == 202
    assert response.json() == {"message": "The add-on is being de-provisioned."}
    live_resource.refresh_from_db()
    assert (live_resource.state, live_resource.waiting_on) == ("deprovisioning", "service")
    assert live_resource.access_token  # API access lasts until the portal reports the end
    assert fake_heroku.writes_of(str(live_resource.uuid)) == []

    with django_capture_on_commit_callbacks(execute=True):
        answer = partner.report(live_resource.uuid, "deprovisioned", {})

    assert answer.status_code == 200
    assert fake_heroku.writes_of(str(live_resource.uuid)) == [
        f"POST /addons/{live_resource.uuid}/actions/deprovision"
    ]
    assert fake_heroku.world.addons[str(live_resource.uuid)]["state"] == "deprovisioned"
    live_resource.refresh_from_db()
    assert live_resource.state == "deprovisioned"
    assert not live_resource.access_token and not live_resource.log_input_url


def test_a_repeated_delete_while_pending_is_202_again_without_asking_the_service_twice(
    heroku, deprovisioning, partner_service
):
    assert heroku.deprovision(deprovisioning.uuid).status_code == 202
    assert [e["type"] for e in partner_service.events] == ["resource.deprovision"]


def test_a_repeated_completion_is_harmless(
    deprovisioning, partner, fake_heroku, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert partner.report(deprovisioning.uuid, "deprovisioned", {}).status_code == 200
    assert len(fake_heroku.writes_of(str(deprovisioning.uuid))) == 1


def test_a_plan_change_or_provisioning_repeat_while_deprovisioning_is_refused(
    heroku, deprovisioning
):
    assert heroku.change_plan(deprovisioning.uuid, "pro").status_code == 422
    from tests.addons.partner_api.partner_api import provision_body

    assert heroku.provision(provision_body(deprovisioning.uuid)).status_code == 409


def test_a_service_that_cannot_deprovision_gets_503_and_the_resource_stays(
    heroku, http_addon, partner_service, live_resource
):
    partner_service.modes["deprovision"] = "error"
    response = heroku.deprovision(live_resource.uuid)
    assert response.status_code == 503
    live_resource.refresh_from_db()
    assert live_resource.state == AddonResource.State.PROVISIONED
