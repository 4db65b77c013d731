"""The sync parts of the admin: resource list, resource page, sync-now action, sync runs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from addons.models import AccessChange, AccessGrant, AddonResource, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, password):
    user = User.objects.create_superuser("operator@example.com", password)
    client.force_login(user)
    return user


@pytest.fixture
def synced_resource(fake_heroku, personal_resource):
    from addons.access.sync import sync_resource

    assert sync_resource(personal_resource, trigger="cron").ok
    personal_resource.refresh_from_db()
    return personal_resource


def test_resource_list_shows_status_and_no_tokens(client, operator, synced_resource):
    response = client.get(reverse("admin:addons_addonresource_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "solo-app" in html and "badge-ok" in html
    assert synced_resource.access_token not in html
    assert synced_resource.refresh_token not in html


def test_resource_list_query_count_does_not_grow_with_rows(client, operator, make_resource):
    url = reverse("admin:addons_addonresource_changelist")
    make_resource()
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        make_resource()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_resource_page_shows_the_access_list_and_recent_changes_never_tokens(
    client, operator, synced_resource
):
    url = reverse("admin:addons_addonresource_change", args=[synced_resource.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "owner@example.com" in html and "collaborator" in html
    assert "recent access changes" in html.lower()
    for secret in (
        synced_resource.access_token,
        synced_resource.refresh_token,
        synced_resource.addon.oauth_client_secret,
    ):
        assert secret not in html
    assert 'name="access_token"' not in html


def test_recent_changes_inline_is_limited(client, operator, synced_resource):
    AccessChange.objects.bulk_create(
        AccessChange(resource=synced_resource, email=f"gone{i:03}@example.com", change="removed")
        for i in range(80)
    )
    url = reverse("admin:addons_addonresource_change", args=[synced_resource.pk])
    html = client.get(url).content.decode()
    assert sum(f"gone{i:03}@example.com" in html for i in range(80)) <= 50


def test_sync_now_action_calls_the_sync_service(client, operator, fake_heroku, personal_resource):
    url = reverse("admin:addons_addonresource_changelist")
    response = client.post(
        url,
        {"action": "sync_now", "_selected_action": [personal_resource.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 synced" in response.content.decode()
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.ADMIN
    assert AccessGrant.objects.filter(resource=personal_resource).count() == 3


def test_sync_now_reports_failures(client, operator, fake_heroku, personal_resource):
    fake_heroku.inject("500", match="/addons/")
    response = client.post(
        reverse("admin:addons_addonresource_changelist"),
        {"action": "sync_now", "_selected_action": [personal_resource.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 failed" in html and str(personal_resource.uuid) in html


def test_search_by_email_finds_every_resource_it_may_use(
    client, operator, fake_heroku, team_resource, personal_resource
):
    from addons.access.sync import sync_resources

    fake_heroku.world.add_member(str(team_resource.uuid), "owner@example.com")
    assert sync_resources(AddonResource.objects.all(), trigger="cron").ok
    url = reverse("admin:addons_addonresource_changelist")
    response = client.get(url, {"q": "Owner@Example.com"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    response = client.get(url, {"q": "a@example.com"})
    assert response.context["cl"].result_count == 1


def test_sync_run_pages(client, operator, synced_resource):
    run = SyncRun.objects.get()
    response = client.get(reverse("admin:addons_syncrun_changelist"))
    assert response.status_code == 200 and "Command line" in response.content.decode()
    response = client.get(reverse("admin:addons_syncrun_change", args=[run.pk]))
    assert response.status_code == 200
    assert synced_resource.access_token not in response.content.decode()
