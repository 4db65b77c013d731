"""Credential rotation: from the customer's dashboard, from the resource page, on a schedule and
from the service; new credentials pushed to Heroku, old ones retired after the overlap window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.lifecycle import rotation as rotation_module
from addons.lifecycle.exceptions import RotationInProgress, WrongState
from addons.lifecycle.services import request_rotation, retire_due_credentials
from addons.models import CredentialRotation, LifecycleEvent
from tests.builders import sso_form

pytestmark = pytest.mark.django_db

OWNER = "owner@example.com"


@pytest.fixture
def customer(client, live_resource, fake_heroku):
    """The app's owner, logged in to the resource's dashboard through Heroku SSO."""
    form = sso_form(live_resource, user_id=fake_heroku.world.user_id(OWNER), email=OWNER)
    response = client.post("/sso/login", form)
    assert response.status_code == 302, response.content
    return client


def latest(resource) -> CredentialRotation:
    return CredentialRotation.objects.filter(resource=resource).latest("requested_at")


def test_the_customer_rotates_from_the_dashboard_and_is_told_the_app_restarts(
    customer, live_resource, fake_heroku, settings, django_capture_on_commit_callbacks
):
    dashboard = customer.get(f"/dashboard/{live_resource.uuid}/")
    assert b"Rotate credentials" in dashboard.content
    page = customer.get(f"/dashboard/{live_resource.uuid}/rotate-credentials")
    assert page.status_code == 200
    assert b"restarts your app" in page.content
    assert b'method="post"' in page.content
    old_url = live_resource.config["ACME_SEARCH_URL"]

    with django_capture_on_commit_callbacks(execute=True):
        response = customer.post(f"/dashboard/{live_resource.uuid}/rotate-credentials")

    assert response.status_code == 302
    told = customer.get(response["Location"])
    assert b"Heroku restarts your app" in told.content
    rotation = latest(live_resource)
    assert (rotation.trigger, rotation.requested_by) == ("customer", OWNER)
    assert rotation.status == "overlap"
    live_resource.refresh_from_db()
    new_url = live_resource.config["ACME_SEARCH_URL"]
    assert new_url != old_url and "?key=" in new_url  # the built-in default's rotation
    assert fake_heroku.world.config[str(live_resource.uuid)] == {"ACME_SEARCH_URL": new_url}
    overlap = timedelta(seconds=settings.CREDENTIAL_OVERLAP_SECONDS)
    assert rotation.retire_after == rotation.pushed_at + overlap
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CREDENTIALS_ROTATED)
    assert audit.actor is None and audit.details["by"] == OWNER
    assert audit.details["trigger"] == "customer"
    # The app's log says so (Logplex input on the fake).
    assert any("rotated its credentials" in entry["line"] for entry in fake_heroku.log_lines)


def test_old_credentials_are_retired_through_the_service_after_the_window(
    http_addon, partner_service, live_resource, fake_heroku, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_rotation(resource=live_resource, trigger="company_user", requested_by="m@x")
    rotation = latest(live_resource)
    assert rotation.status == "overlap"
    assert [e["type"] for e in partner_service.events] == ["credentials.rotate"]
    assert partner_service.events[0]["rotation"] == {"id": str(rotation.public_id)}

    assert retire_due_credentials(now=rotation.retire_after - timedelta(seconds=1)) == 0
    assert retire_due_credentials(now=rotation.retire_after + timedelta(seconds=1)) == 1

    rotation.refresh_from_db()
    assert rotation.status == "retired" and rotation.retired_at
    assert [e["type"] for e in partner_service.events] == [
        "credentials.rotate",
        "credentials.retire",
    ]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREDENTIALS_RETIRED).count() == 1
    # A second sweep finds nothing more to retire.
    assert retire_due_credentials(now=rotation.retire_after + timedelta(hours=1)) == 0


def test_a_pending_rotation_is_completed_by_the_service(
    http_addon,
    partner_service,
    live_resource,
    partner,
    fake_heroku,
    django_capture_on_commit_callbacks,
):
    partner_service.modes["rotate"] = "pending"
    with django_capture_on_commit_callbacks(execute=True):
        request_rotation(resource=live_resource, trigger="company_user")
    assert latest(live_resource).status == "waiting_for_service"
    assert fake_heroku.writes == []
    # While it waits, another rotation is refused.
    with pytest.raises(RotationInProgress):
        request_rotation(resource=live_resource, trigger="customer")

    new = {"ACME_SEARCH_URL": f"https://search.acme.example/{live_resource.uuid}?key=later"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = partner.report(live_resource.uuid, "credentials", {"config": new})

    assert answer.status_code == 200, answer.content
    assert latest(live_resource).status == "overlap"
    assert fake_heroku.world.config[str(live_resource.uuid)] == new


def test_the_service_may_rotate_on_its_own_and_it_is_audited(
    http_addon, live_resource, partner, django_capture_on_commit_callbacks
):
    new = {"ACME_SEARCH_URL": "https://search.acme.example/own?key=leaked-so-new"}
    with django_capture_on_commit_callbacks(execute=True):
        assert partner.report(live_resource.uuid, "credentials", {"config": new}).status_code == 200
    rotation = latest(live_resource)
    assert (rotation.trigger, rotation.status) == ("service", "overlap")
    assert (
        AuditEvent.objects.get(action=AuditEvent.Action.CREDENTIALS_ROTATED).details["trigger"]
        == "service"
    )


def test_a_company_user_with_the_manifests_right_rotates_from_the_resource_page(
    manager_client, live_resource, django_capture_on_commit_callbacks
):
    page = manager_client.get(f"/addons/acme-search/resources/{live_resource.uuid}/")
    assert b"Rotate credentials" in page.content
    url = f"/addons/acme-search/resources/{live_resource.uuid}/rotate-credentials/"
    assert b"restarts the app" in manager_client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url)
    assert response.status_code == 302
    rotation = latest(live_resource)
    assert (rotation.trigger, rotation.requested_by) == ("company_user", "manager@example.com")
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CREDENTIALS_ROTATED)
    assert audit.actor.email == "manager@example.com"
    page = manager_client.get(f"/addons/acme-search/resources/{live_resource.uuid}/")
    assert b"Credential rotations" in page.content


def test_without_the_manifests_right_the_resource_page_offers_no_rotation(
    client, manager, live_resource
):
    manager.permissions = ALL_PERMISSIONS - {Permission.MANAGE_MANIFESTS}
    manager.save()
    client.force_login(manager.user)
    page = client.get(f"/addons/acme-search/resources/{live_resource.uuid}/")
    assert b"Rotate credentials" not in page.content
    url = f"/addons/acme-search/resources/{live_resource.uuid}/rotate-credentials/"
    assert client.post(url).status_code == 403
    assert not CredentialRotation.objects.exists()


def test_only_a_provisioned_resource_can_rotate(live_resource):
    live_resource.state = "deprovisioning"
    live_resource.save()
    with pytest.raises(WrongState):
        request_rotation(resource=live_resource, trigger="customer")


def test_the_schedule_rotates_nothing_unless_switched_on(settings, live_resource):
    settings.CREDENTIAL_ROTATION_DAYS = 0
    assert rotation_module.rotate_due_credentials() == 0
    assert not CredentialRotation.objects.exists()


def test_the_schedule_rotates_credentials_older_than_the_setting(
    settings, live_resource, provisioned_resource, queued, django_capture_on_commit_callbacks
):
    settings.CREDENTIAL_ROTATION_DAYS = 30  # live_resource's are 40 days old
    provisioned_resource.credentials_issued_at = timezone.now() - timedelta(days=3)
    provisioned_resource.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert rotation_module.rotate_due_credentials() == 1

    rotation = CredentialRotation.objects.get()
    assert (rotation.resource, rotation.trigger) == (live_resource, "schedule")
    assert ("addons.lifecycle.tasks.rotate_credentials_task", rotation.pk, 0) in queued
    # Requested once: the next run does not ask again while it is under way.
    assert rotation_module.rotate_due_credentials() == 0


def test_a_failing_service_is_retried_then_the_rotation_fails_and_operators_hear(
    http_addon, partner_service, live_resource, operator, queued
):
    partner_service.modes["rotate"] = "error"
    rotation = request_rotation(resource=live_resource, trigger="company_user")
    last = rotation_module.MAX_ATTEMPTS - 1
    assert rotation_module.issue_credentials(rotation_id=rotation.pk) == "retrying"
    assert rotation_module.issue_credentials(rotation_id=rotation.pk, attempt=last) == "gave up"
    rotation.refresh_from_db()
    assert rotation.status == "failed" and "HTTP 500" in rotation.error
    assert LifecycleEvent.objects.filter(step="rotation", outcome="failed").exists()
    assert Notification.objects.filter(kind="lifecycle_alert", email=operator.email).exists()
