"""The three provisioners behind the Partner API: the built-in default, a class named in
ADDON_PROVISIONER, and the HTTP provisioner talking to the partner's service."""

import uuid

import pytest

from addons.lifecycle.checks import check_provisioner
from addons.lifecycle.provisioners import (
    DefaultProvisioner,
    HTTPProvisioner,
    provisioner_for,
)
from addons.models import AddonResource, AddonService, LifecycleEvent
from tests.addons.partner_api.partner_api import provision_body

pytestmark = pytest.mark.django_db


def events(resource_uuid) -> list[tuple[str, str, str]]:
    return list(
        LifecycleEvent.objects.filter(resource__uuid=resource_uuid)
        .order_by("at", "id")
        .values_list("step", "outcome", "detail")
    )


# Which provisioner --------------------------------------------------------------------------
def test_an_addon_with_a_service_url_and_secret_is_provisioned_over_http(http_addon, addon):
    assert isinstance(provisioner_for(http_addon), HTTPProvisioner)


def test_a_url_without_a_secret_is_not_enough(addon, settings):
    AddonService.objects.create(addon=addon, url="https://svc.example/events")
    assert isinstance(provisioner_for(addon), DefaultProvisioner)
    settings.ADDON_PROVISIONER = "tests.addons.lifecycle.provisioners.RecordingProvisioner"
    assert type(provisioner_for(addon)).__name__ == "RecordingProvisioner"


@pytest.mark.parametrize(
    "path,error",
    [
        ("", None),
        ("tests.addons.lifecycle.provisioners.RecordingProvisioner", None),
        ("no.such.Provisioner", "addons.E001"),
        ("addons.models.Addon", "addons.E002"),
    ],
)
def test_the_system_check_names_a_wrong_addon_provisioner(settings, path, error):
    settings.ADDON_PROVISIONER = path
    assert [e.id for e in check_provisioner(None)] == ([error] if error else [])


# The built-in default -----------------------------------------------------------------------
def test_the_default_rotation_gives_the_url_a_fresh_key(provisioned_resource):
    first = DefaultProvisioner().rotate_credentials(resource=provisioned_resource, rotation=None)
    second = DefaultProvisioner().rotate_credentials(resource=provisioned_resource, rotation=None)
    url = first.config["ACME_SEARCH_URL"]
    assert url.startswith(f"https://portal.example.com/resources/{provisioned_resource.uuid}?key=")
    assert url != second.config["ACME_SEARCH_URL"]


# A class named in ADDON_PROVISIONER ---------------------------------------------------------
def test_a_provisioner_class_provisions_with_its_own_config(heroku, recording_provisioner):
    resource_uuid = uuid.uuid4()
    body = provision_body(resource_uuid, options={"size": "large"}, region="eu")

    response = heroku.provision(body)

    assert response.status_code == 200
    assert response.json()["config"] == {"ACME_SEARCH_URL": f"https://mine.example/{resource_uuid}"}
    assert recording_provisioner.calls == [
        ("provision", str(resource_uuid), "basic", "eu", {"size": "large"})
    ]
    assert AddonResource.objects.get(uuid=resource_uuid).state == "provisioned"


def test_a_provisioner_class_that_is_pending_completes_through_the_services(
    heroku, recording_provisioner, fake_heroku, django_capture_on_commit_callbacks
):
    from addons.lifecycle.services import complete_provisioning

    recording_provisioner.pending = True
    resource_uuid, token = fake_heroku.world.add_resource(state="provisioning")
    response = heroku.provision(provision_body(resource_uuid))
    assert response.status_code == 202
    AddonResource.objects.filter(uuid=resource_uuid).update(access_token=token)

    with django_capture_on_commit_callbacks(execute=True):
        complete_provisioning(
            resource=AddonResource.objects.get(uuid=resource_uuid),
            config={"ACME_SEARCH_URL": "https://mine.example/later"},
        )

    assert fake_heroku.writes_of(resource_uuid) == [
        f"PATCH /addons/{resource_uuid}/config",
        f"POST /addons/{resource_uuid}/actions/provision",
    ]


def test_a_refused_plan_change_is_a_422_with_the_provisioners_words(
    heroku, recording_provisioner, provisioned_resource
):
    recording_provisioner.refuse_plan = "pro"
    response = heroku.change_plan(provisioned_resource.uuid, "pro")
    assert response.status_code == 422
    assert response.json()["message"] == "Pro is sold out."
    provisioned_resource.refresh_from_db()
    assert provisioned_resource.plan.slug == "basic"


def test_a_plan_change_takes_the_provisioners_new_config(
    heroku, recording_provisioner, provisioned_resource
):
    response = heroku.change_plan(provisioned_resource.uuid, "pro")
    assert response.status_code == 200
    url = f"https://mine.example/{provisioned_resource.uuid}/pro"
    assert response.json()["config"] == {"ACME_SEARCH_URL": url}
    provisioned_resource.refresh_from_db()
    # Heroku takes the config from this answer: nothing is left to push.
    assert provisioned_resource.config == {"ACME_SEARCH_URL": url}
    assert not provisioned_resource.config_push_outstanding


def test_a_provisioner_class_that_raises_is_a_503_and_recorded(heroku, recording_provisioner):
    recording_provisioner.explode = True
    resource_uuid = uuid.uuid4()

    response = heroku.provision(provision_body(resource_uuid))

    assert response.status_code == 503
    assert "try again" in response.json()["message"]
    assert events(resource_uuid) == [("provision", "failed", "the provisioner raised RuntimeError")]
    # Heroku may deliver it again: the provisioner is asked again, and may succeed then.
    recording_provisioner.explode = False
    assert heroku.provision(provision_body(resource_uuid)).status_code == 200


# The HTTP provisioner -----------------------------------------------------------------------
def test_the_service_gets_a_signed_event_and_its_config_is_the_answer(
    heroku, http_addon, partner_service
):
    resource_uuid = uuid.uuid4()
    response = heroku.provision(provision_body(resource_uuid, options={"tier": "x"}))

    assert response.status_code == 200, response.content
    assert response.json()["config"] == partner_service.config_of(str(resource_uuid))
    assert (
        response.json()["message"]
        == "Thanks for installing Acme Search. Open it from your app's add-on list."
    )
    [event] = partner_service.events
    assert event["type"] == "resource.provision" and event["addon"] == "acme-search"
    assert event["resource"] == {
        "uuid": str(resource_uuid),
        "name": "acme-search-cubed-12345",
        "plan": "basic",
        "region": "amazon-web-services::us-east-1",
        "options": {"tier": "x"},
    }
    assert partner_service.refused == []


def test_a_service_with_another_secret_refuses_the_events_and_provisioning_fails(
    heroku, http_addon, partner_service
):
    partner_service.secret = "not-the-secret-the-portal-has-at-all"
    response = heroku.provision(provision_body(uuid.uuid4()))
    assert response.status_code == 503
    assert partner_service.refused == ["bad signature"]


@pytest.mark.parametrize("mode", ["error", "down"])
def test_a_failing_or_unreachable_service_is_a_503(heroku, http_addon, partner_service, mode):
    resource_uuid = uuid.uuid4()
    if mode == "down":
        partner_service.stop()
    else:
        partner_service.modes["provision"] = "error"
    response = heroku.provision(provision_body(resource_uuid))
    assert response.status_code == 503
    [(step, outcome, detail)] = events(resource_uuid)
    assert (step, outcome) == ("provision", "failed")
    assert "HTTP 500" in detail if mode == "error" else "could not reach it" in detail


def test_config_the_manifest_does_not_allow_is_the_services_failure(
    heroku, http_addon, partner_service
):
    partner_service.prefix = "OTHER"
    resource_uuid = uuid.uuid4()
    response = heroku.provision(provision_body(resource_uuid))
    assert response.status_code == 503
    assert "OTHER_URL" in events(resource_uuid)[0][2]


def test_a_plan_the_service_refuses_is_a_422_shown_to_the_user(
    heroku, http_addon, partner_service, provisioned_resource, addon
):
    addon.plans.create(slug="refused", name="Refused")
    response = heroku.change_plan(provisioned_resource.uuid, "refused")
    assert response.status_code == 422
    assert response.json()["message"] == "The refused plan is not for sale."


def test_a_deprovision_event_reaches_the_service(
    heroku, http_addon, partner_service, provisioned_resource
):
    assert heroku.deprovision(provisioned_resource.uuid).status_code == 204
    assert [e["type"] for e in partner_service.events] == ["resource.deprovision"]
