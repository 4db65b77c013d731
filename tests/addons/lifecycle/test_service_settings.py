"""The add-on's service settings: company users with the manifests right set the URL and
generate the signing secret (shown once); every change is audited."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.models import AddonService

pytestmark = pytest.mark.django_db


def test_the_manifest_page_says_where_events_go(manager_client, addon):
    page = manager_client.get("/addons/acme-search/manifest/").content.decode()
    assert "No service URL is set" in page
    assert "/addons/acme-search/service/" in page


def test_setting_the_service_url_is_audited(manager_client, addon):
    response = manager_client.post(
        "/addons/acme-search/service/", {"url": "https://search.acme.example/heroku/events"}
    )
    assert response.status_code == 302
    assert AddonService.objects.get(addon=addon).url == "https://search.acme.example/heroku/events"
    audit = AuditEvent.objects.get(action=AuditEvent.Action.SERVICE_CHANGED)
    assert audit.details == {"before": "", "after": "https://search.acme.example/heroku/events"}
    assert (
        "search.acme.example"
        in manager_client.get("/addons/acme-search/manifest/").content.decode()
    )


@pytest.mark.parametrize("url", ["http://search.acme.example/events", "ftp://x.example/", "nope"])
def test_a_url_that_is_not_https_is_refused(manager_client, addon, url):
    response = manager_client.post("/addons/acme-search/service/", {"url": url})
    assert response.status_code == 400
    assert not AddonService.objects.filter(addon=addon).exclude(url="").exists()
    assert not AuditEvent.objects.exists()


def test_the_secret_is_shown_once_on_the_answer_that_generates_it(manager_client, addon):
    assert (
        b"Generate a new secret"
        in manager_client.get("/addons/acme-search/service/secret/").content
    )
    assert not AddonService.objects.filter(addon=addon).exists()  # nothing changes on GET

    response = manager_client.post("/addons/acme-search/service/secret/")

    secret = AddonService.objects.get(addon=addon).signing_secret
    assert len(secret) >= 32
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    again = manager_client.get("/addons/acme-search/service/").content.decode()
    assert secret not in again and "never shown again" in again
    assert AuditEvent.objects.get().action == AuditEvent.Action.SERVICE_SECRET_GENERATED
    # A new one replaces it.
    manager_client.post("/addons/acme-search/service/secret/")
    assert AddonService.objects.get(addon=addon).signing_secret != secret


def test_without_the_manifests_right_nothing_can_be_set(client, manager, addon):
    manager.permissions = ALL_PERMISSIONS - {Permission.MANAGE_MANIFESTS}
    manager.save()
    client.force_login(manager.user)
    assert (
        client.post("/addons/acme-search/service/", {"url": "https://x.example/e"}).status_code
        == 403
    )
    assert client.post("/addons/acme-search/service/secret/").status_code == 403
    assert not AddonService.objects.exists()


def test_the_sweep_command_acts_as_of_the_time_it_is_given(addon, plan):
    out = io.StringIO()
    call_command("lifecycle_sweep", "--now", "2026-01-02T00:00:00Z", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"failed": [], "resumed": 0, "retired": 0}
    with pytest.raises(CommandError, match="ISO 8601") as caught:
        call_command("lifecycle_sweep", "--now", "tomorrow")
    assert caught.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("lifecycle_sweep", "--now", "2026-13-40T00:00:00Z")
    with pytest.raises(CommandError):
        call_command("lifecycle_sweep", "--now", "2026-01-02T00:00:00")  # no offset
