"""Config updates: one service stores the change, audits its names and pushes the whole stored
config to Heroku (retried), and refuses names outside the manifest's config vars."""

import ast

import pytest
from django_q.models import Schedule

from accounts.models import AuditEvent, Notification
from addons.lifecycle import reporting
from addons.lifecycle.exceptions import ConfigRefused, WrongState
from addons.lifecycle.services import allowed_config_vars, update_config
from addons.models import AddonResource

pytestmark = pytest.mark.django_db


def test_the_manifests_config_vars_are_what_a_resource_may_set(addon):
    assert allowed_config_vars(addon) == {"ACME_SEARCH_URL"}
    addon.config_vars = []
    assert allowed_config_vars(addon) == {"ACME_SEARCH_URL"}  # what the manifest export declares
    addon.config_vars = ["ACME_SEARCH_URL", "ACME_SEARCH_KEY"]
    assert allowed_config_vars(addon) == {"ACME_SEARCH_URL", "ACME_SEARCH_KEY"}


@pytest.mark.parametrize(
    "config,why",
    [
        ({"OTHER_URL": "x"}, "Must start with ACME_SEARCH_"),
        ({"ACME_SEARCH_KEY": "x"}, "Not among the manifest's config vars"),
        ({"acme_search_url": "x"}, "Not a config var name"),
        ({"ACME_SEARCH_URL": None}, "must be a string"),
        ({"ACME_SEARCH_URL": "x" * 9000}, "at most 8192"),
        (["ACME_SEARCH_URL"], "an object"),
    ],
)
def test_config_outside_the_manifest_is_refused_and_nothing_changes(live_resource, config, why):
    with pytest.raises(ConfigRefused, match=why):
        update_config(resource=live_resource, config=config, source="test")
    live_resource.refresh_from_db()
    assert live_resource.config_version == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CONFIG_UPDATED).exists()


def test_an_update_is_stored_audited_by_name_and_pushed_whole(
    live_resource, fake_heroku, django_capture_on_commit_callbacks
):
    live_resource.addon.config_vars = ["ACME_SEARCH_URL", "ACME_SEARCH_KEY"]
    live_resource.addon.save()
    with django_capture_on_commit_callbacks(execute=True):
        update_config(resource=live_resource, config={"ACME_SEARCH_KEY": "k2"}, source="service")

    live_resource.refresh_from_db()
    whole = {"ACME_SEARCH_URL": live_resource.config["ACME_SEARCH_URL"], "ACME_SEARCH_KEY": "k2"}
    assert live_resource.config == whole
    assert (live_resource.config_version, live_resource.config_pushed_version) == (2, 2)
    assert fake_heroku.world.config[str(live_resource.uuid)] == whole
    [write] = fake_heroku.writes
    assert write["path"] == f"/addons/{live_resource.uuid}/config"
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CONFIG_UPDATED)
    assert audit.details == {
        "resource": str(live_resource.uuid),
        "names": ["ACME_SEARCH_KEY"],
        "source": "service",
    }
    assert "k2" not in str(audit.details)  # names, never values


def test_an_update_that_changes_nothing_is_not_audited_nor_pushed(live_resource, fake_heroku):
    update_config(resource=live_resource, config=dict(live_resource.config), source="service")
    assert not AuditEvent.objects.exists()
    live_resource.refresh_from_db()
    assert live_resource.config_version == 1


def test_a_push_heroku_refuses_for_now_is_retried_later(
    live_resource, fake_heroku, django_capture_on_commit_callbacks
):
    fake_heroku.inject("503", match="/config", times=3)
    with django_capture_on_commit_callbacks(execute=True):
        update_config(resource=live_resource, config={"ACME_SEARCH_URL": "https://n"}, source="t")
    live_resource.refresh_from_db()
    assert live_resource.config_push_outstanding
    retry = Schedule.objects.get(func="addons.lifecycle.tasks.report_to_heroku_task")
    assert ast.literal_eval(retry.args) == (live_resource.pk, 1)

    assert reporting.report_to_heroku(resource_id=live_resource.pk, attempt=1) == "config: done"
    live_resource.refresh_from_db()
    assert not live_resource.config_push_outstanding
    assert fake_heroku.world.config[str(live_resource.uuid)] == {"ACME_SEARCH_URL": "https://n"}


def test_a_push_heroku_refuses_for_good_is_recorded_and_alerted(
    live_resource, fake_heroku, operator, django_capture_on_commit_callbacks
):
    fake_heroku.inject("422", match="/config", times=1)
    with django_capture_on_commit_callbacks(execute=True):
        update_config(resource=live_resource, config={"ACME_SEARCH_URL": "https://n"}, source="t")
    live_resource.refresh_from_db()
    assert "HTTP 422" in live_resource.lifecycle_error
    assert live_resource.state == "provisioned"  # a provisioned resource stays usable
    assert Notification.objects.filter(kind="lifecycle_alert", email=operator.email).exists()


def test_config_cannot_change_once_deprovisioned(live_resource):
    AddonResource.objects.filter(pk=live_resource.pk).update(state="deprovisioned")
    live_resource.refresh_from_db()
    with pytest.raises(WrongState):
        update_config(resource=live_resource, config={"ACME_SEARCH_URL": "x"}, source="t")
