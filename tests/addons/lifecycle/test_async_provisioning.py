"""Asynchronous provisioning, played end to end in-process: Heroku (the test client) provisions,
the partner's service (tests/partner_service.py, over HTTP) answers "pending" and reports later,
and the portal tells the fake Heroku: PATCH config, then actions/provision, once."""

import ast
from datetime import timedelta

import pytest
from django.core import mail
from django_q.models import Schedule

from accounts.models import Notification
from addons.lifecycle import reporting
from addons.lifecycle.tasks import run_sweep
from addons.models import AddonResource, LifecycleEvent
from addons.partner_api import grants
from tests.addons.partner_api.partner_api import provision_body

pytestmark = pytest.mark.django_db

NEW_URL = "https://search.acme.example/{uuid}?key=done-later"


@pytest.fixture
def pending_mode(partner_service):
    partner_service.modes["provision"] = "pending"
    return partner_service


def steps(resource) -> list[tuple[str, str]]:
    return list(
        LifecycleEvent.objects.filter(resource=resource)
        .order_by("at", "id")
        .values_list("step", "outcome")
    )


def complete(partner, resource_uuid, capture, *, url=NEW_URL):
    with capture(execute=True):
        return partner.report(
            resource_uuid,
            "provisioned",
            {"config": {"ACME_SEARCH_URL": url.format(uuid=resource_uuid)}},
        )


@pytest.fixture
def pending_resource(
    heroku,
    http_addon,
    pending_mode,
    heroku_addon,
    grant_code,
    log_input_url,
    django_capture_on_commit_callbacks,
):
    """A resource whose service answered "pending"; its grant was exchanged."""
    with django_capture_on_commit_callbacks(execute=True):
        response = heroku.provision(
            provision_body(heroku_addon, code=grant_code, log_input_url=log_input_url)
        )
    assert response.status_code == 202, response.content
    return AddonResource.objects.get(uuid=heroku_addon)


def test_pending_provisioning_answers_202_and_the_portal_tells_heroku_once_it_is_done(
    heroku,
    http_addon,
    pending_mode,
    heroku_addon,
    grant_code,
    log_input_url,
    fake_heroku,
    partner,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = heroku.provision(
            provision_body(heroku_addon, code=grant_code, log_input_url=log_input_url)
        )

    assert response.status_code == 202
    assert response.json() == {
        "id": str(heroku_addon),
        "message": "Acme Search is being provisioned. It will be available shortly.",
    }
    resource = AddonResource.objects.get(uuid=heroku_addon)
    assert (resource.state, resource.waiting_on) == ("provisioning", "service")
    assert resource.access_token  # the grant was exchanged at once, as ever
    assert fake_heroku.writes_of(str(heroku_addon)) == []
    [event] = pending_mode.events
    assert (event["type"], event["resource"]["uuid"]) == ("resource.provision", str(heroku_addon))
    assert pending_mode.refused == []  # the partner found the event genuine

    answer = complete(partner, heroku_addon, django_capture_on_commit_callbacks)

    assert answer.status_code == 200, answer.content
    assert fake_heroku.writes_of(str(heroku_addon)) == [
        f"PATCH /addons/{heroku_addon}/config",
        f"POST /addons/{heroku_addon}/actions/provision",
    ]
    url = NEW_URL.format(uuid=heroku_addon)
    assert fake_heroku.world.config[str(heroku_addon)] == {"ACME_SEARCH_URL": url}
    assert fake_heroku.world.addons[str(heroku_addon)]["state"] == "provisioned"
    resource.refresh_from_db()
    assert (resource.state, resource.waiting_on) == ("provisioned", "")
    assert resource.config == {"ACME_SEARCH_URL": url}
    assert not resource.config_push_outstanding
    assert steps(resource) == [
        ("provision", "pending"),
        ("provision", "done"),
        ("config_push", "done"),
        ("heroku_provisioned", "done"),
        ("log_line", "done"),
    ]


def test_a_repeated_completion_is_harmless(
    pending_resource, partner, fake_heroku, django_capture_on_commit_callbacks
):
    complete(partner, pending_resource.uuid, django_capture_on_commit_callbacks)
    again = complete(partner, pending_resource.uuid, django_capture_on_commit_callbacks)

    assert again.status_code == 200
    assert "already provisioned" in again.json()["message"]
    assert len(fake_heroku.writes_of(str(pending_resource.uuid))) == 2


def test_a_repeated_delivery_while_pending_is_answered_202_again(
    heroku, pending_resource, grant_code, partner_service
):
    response = heroku.provision(provision_body(pending_resource.uuid, code=grant_code))
    assert response.status_code == 202
    assert "config" not in response.json()
    assert len(partner_service.events) == 1  # the service is not asked twice


def test_a_plan_change_while_pending_is_passed_on_once_provisioning_is_done(
    heroku,
    pending_resource,
    partner,
    partner_service,
    fake_heroku,
    django_capture_on_commit_callbacks,
):
    response = heroku.change_plan(pending_resource.uuid, "acme-search:pro")
    assert response.status_code == 200
    assert response.json()["message"] == "Your plan is now Pro."
    pending_resource.refresh_from_db()
    assert pending_resource.plan.slug == "pro" and pending_resource.plan_change_queued
    assert [e["type"] for e in partner_service.events] == ["resource.provision"]

    complete(partner, pending_resource.uuid, django_capture_on_commit_callbacks)

    assert [(e["type"], e["resource"]["plan"]) for e in partner_service.events] == [
        ("resource.provision", "basic"),
        ("resource.plan_change", "pro"),
    ]
    assert fake_heroku.writes_of(str(pending_resource.uuid)) == [
        f"PATCH /addons/{pending_resource.uuid}/config",
        f"POST /addons/{pending_resource.uuid}/actions/provision",
    ]
    pending_resource.refresh_from_db()
    assert pending_resource.state == "provisioned" and not pending_resource.plan_change_queued
    assert ("plan_change", "queued") in steps(pending_resource)
    assert ("plan_change", "done") in steps(pending_resource)


def test_a_deprovision_while_pending_cancels_the_pending_work(
    heroku,
    pending_resource,
    partner,
    partner_service,
    fake_heroku,
    django_capture_on_commit_callbacks,
):
    response = heroku.deprovision(pending_resource.uuid)

    assert response.status_code == 204
    pending_resource.refresh_from_db()
    assert pending_resource.state == "deprovisioned" and not pending_resource.access_token
    assert [e["type"] for e in partner_service.events] == [
        "resource.provision",
        "resource.deprovision",
    ]
    late = complete(partner, pending_resource.uuid, django_capture_on_commit_callbacks)
    assert late.status_code == 409
    assert "de-provisioned" in late.json()["message"]
    assert fake_heroku.writes_of(str(pending_resource.uuid)) == []
    assert ("provision", "cancelled") in steps(pending_resource)


def test_a_grant_that_arrives_late_holds_the_report_until_it_does(
    heroku,
    http_addon,
    pending_mode,
    heroku_addon,
    grant_code,
    fake_heroku,
    partner,
    queued,
    django_capture_on_commit_callbacks,
):
    fake_heroku.inject("503", match="/oauth/token", times=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = heroku.provision(provision_body(heroku_addon, code=grant_code))
    assert response.status_code == 202
    resource = AddonResource.objects.get(uuid=heroku_addon)
    assert not resource.access_token and resource.grant_code

    complete(partner, heroku_addon, django_capture_on_commit_callbacks)
    report = ("addons.lifecycle.tasks.report_to_heroku_task", resource.pk, 0)
    assert report in queued

    assert reporting.report_to_heroku(resource_id=resource.pk).startswith("provision: retrying")
    assert fake_heroku.writes_of(str(heroku_addon)) == []
    assert steps(resource)[-1] == ("heroku_provisioned", "retrying")
    assert Schedule.objects.filter(func="addons.lifecycle.tasks.report_to_heroku_task").exists()
    # The grant's retry gets the token, and queues the report that waits for it at once.
    queued.clear()
    retry = Schedule.objects.get(func="addons.partner_api.grants.retry_grant_exchange")
    with django_capture_on_commit_callbacks(execute=True):
        assert grants.retry_grant_exchange(*ast.literal_eval(retry.args)) is True
    assert report in queued
    assert reporting.report_to_heroku(resource_id=resource.pk) == "provision: done"
    assert fake_heroku.writes_of(str(heroku_addon)) == [
        f"PATCH /addons/{heroku_addon}/config",
        f"POST /addons/{heroku_addon}/actions/provision",
    ]


def test_without_a_token_for_good_the_resource_fails_and_operators_are_alerted(
    heroku, http_addon, pending_mode, operator, partner, django_capture_on_commit_callbacks
):
    resource_uuid = "0b6e2f7d-1c5a-4a8e-9f3b-2e6d8c4a1b09"
    assert heroku.provision(provision_body(resource_uuid)).status_code == 202  # no oauth_grant

    complete(partner, resource_uuid, django_capture_on_commit_callbacks)

    resource = AddonResource.objects.get(uuid=resource_uuid)
    assert resource.state == "failed"
    assert "no OAuth token" in resource.lifecycle_error
    alert = Notification.objects.get(kind="lifecycle_alert")
    assert alert.email == operator.email
    assert resource_uuid in alert.subject
    assert [m.to for m in mail.outbox] == [[operator.email]]


def test_heroku_failing_is_retried_later_and_the_retry_checks_before_it_repeats(
    pending_resource, partner, fake_heroku, django_capture_on_commit_callbacks
):
    uuid = str(pending_resource.uuid)
    fake_heroku.inject("503", match="/actions/provision", times=3)  # every attempt of one run

    complete(partner, uuid, django_capture_on_commit_callbacks)

    assert fake_heroku.writes_of(uuid) == [f"PATCH /addons/{uuid}/config"]
    pending_resource.refresh_from_db()
    assert (
        pending_resource.state == "provisioning" and "HTTP 503" in pending_resource.lifecycle_error
    )
    retry = Schedule.objects.get(func="addons.lifecycle.tasks.report_to_heroku_task")
    assert ast.literal_eval(retry.args) == (pending_resource.pk, 1)
    assert retry.next_run > pending_resource.updated_at

    fake_heroku.reset_counters()
    assert reporting.report_to_heroku(resource_id=pending_resource.pk, attempt=1) == (
        "provision: done"
    )
    # The retry read the add-on's state first (an earlier attempt might have been heard).
    assert f"/addons/{uuid}" in fake_heroku.paths()
    assert fake_heroku.writes_of(uuid)[-1] == f"POST /addons/{uuid}/actions/provision"
    pending_resource.refresh_from_db()
    assert pending_resource.state == "provisioned" and pending_resource.lifecycle_error == ""


def test_a_run_finds_the_resource_busy_while_another_holds_it(pending_resource):
    AddonResource.objects.filter(pk=pending_resource.pk).update(
        waiting_on="heroku", lifecycle_lease_until=pending_resource.created_at + timedelta(days=1)
    )
    assert reporting.report_to_heroku(resource_id=pending_resource.pk) == "busy or gone"


def test_past_the_deadline_a_pending_resource_fails_and_operators_are_alerted(
    pending_resource, operator, client
):
    created = pending_resource.created_at
    assert run_sweep(now=created + timedelta(hours=11, minutes=59))["failed"] == []

    report = run_sweep(now=created + timedelta(hours=12, minutes=1))

    assert report["failed"] == [str(pending_resource.uuid)]
    pending_resource.refresh_from_db()
    assert pending_resource.state == "failed"
    assert "12 hours" in pending_resource.lifecycle_error
    assert steps(pending_resource)[-1] == ("deadline", "failed")
    alert = Notification.objects.get(kind="lifecycle_alert")
    assert alert.email == operator.email and "12 hours" in alert.body_text
    # Once is enough: a second sweep finds nothing more to fail or tell.
    assert run_sweep(now=created + timedelta(hours=13))["failed"] == []
    assert Notification.objects.filter(kind="lifecycle_alert").count() == 1
    client.force_login(operator)
    page = client.get(f"/admin/addons/addonresource/{pending_resource.pk}/change/")
    assert b"Provisioning deadline" in page.content
