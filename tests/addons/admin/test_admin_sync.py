"""The sync parts of the admin: resource list, resource page, sync-now action, sync runs."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from addons.access.tasks import SYNC_CHUNK_TASK, sync_chunk_task
from addons.models import AccessChange, AccessGrant, AddonResource, SyncRun

pytestmark = pytest.mark.django_db


def test_resource_list_shows_status_and_no_tokens(operator_client, synced_resource):
    response = operator_client.get(reverse("admin:addons_addonresource_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "solo-app" in html and "badge-ok" in html
    assert synced_resource.access_token not in html
    assert synced_resource.refresh_token not in html


def test_resource_list_query_count_does_not_grow_with_rows(operator_client, make_resource):
    url = reverse("admin:addons_addonresource_changelist")
    make_resource()
    with CaptureQueriesContext(connection) as few:
        assert operator_client.get(url).status_code == 200
    for _ in range(5):
        make_resource()
    with CaptureQueriesContext(connection) as many:
        assert operator_client.get(url).status_code == 200
    assert len(many) == len(few)


def test_resource_page_shows_the_access_list_and_recent_changes_never_tokens(
    operator_client, synced_resource
):
    url = reverse("admin:addons_addonresource_change", args=[synced_resource.pk])
    response = operator_client.get(url)
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


def test_recent_changes_inline_is_limited(operator_client, synced_resource):
    AccessChange.objects.bulk_create(
        AccessChange(resource=synced_resource, email=f"gone{i:03}@example.com", change="removed")
        for i in range(80)
    )
    url = reverse("admin:addons_addonresource_change", args=[synced_resource.pk])
    html = operator_client.get(url).content.decode()
    assert sum(f"gone{i:03}@example.com" in html for i in range(80)) <= 50


def sync_now(client, *resources, follow=True):
    return client.post(
        reverse("admin:addons_addonresource_changelist"),
        {"action": "sync_now", "_selected_action": [resource.pk for resource in resources]},
        follow=follow,
    )


def messages_of(response) -> list[str]:
    return [strip_tags(str(message)) for message in response.context["messages"]]


def test_sync_now_queues_the_sync_and_syncs_nothing_itself(
    operator_client, fake_heroku, personal_resource, queued
):
    response = sync_now(operator_client, personal_resource)

    assert response.status_code == 200
    assert messages_of(response) == [
        "Queued 1 sync task for 1 resource; results appear under Sync runs."
    ]
    sync_runs = reverse("admin:addons_syncrun_changelist")
    assert f'<a href="{sync_runs}">Sync runs</a>' in response.content.decode()
    assert not SyncRun.objects.exists() and fake_heroku.requests == []
    assert queued == [(SYNC_CHUNK_TASK, [str(personal_resource.uuid)], SyncRun.Trigger.ADMIN.value)]

    sync_chunk_task(*queued[0][1:])  # what a worker does with the task

    run = SyncRun.objects.get()
    assert (run.trigger, run.resources, run.synced, run.added) == (SyncRun.Trigger.ADMIN, 1, 1, 3)
    assert AccessGrant.objects.filter(resource=personal_resource).count() == 3


def test_sync_now_says_so_when_the_task_queue_is_out_of_reach(
    operator_client, personal_resource, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("addons.access.tasks.async_task", broker_down)

    response = sync_now(operator_client, personal_resource)

    assert response.status_code == 200
    assert messages_of(response) == [
        "Nothing could be queued: the task queue refused (ConnectionError). Check that the "
        "worker's broker is running, then try again."
    ]


def test_sync_now_queues_one_task_per_hundred_resources(
    operator_client, addon, plan, queued, django_capture_on_commit_callbacks
):
    resources = AddonResource.objects.bulk_create(
        AddonResource(
            uuid=uuid.uuid4(), addon=addon, plan=plan, state=AddonResource.State.PROVISIONED
        )
        for _ in range(250)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = sync_now(operator_client, *resources)

    assert messages_of(response) == [
        "Queued 3 sync tasks for 250 resources; results appear under Sync runs."
    ]
    assert [(func, len(uuids), trigger) for func, uuids, trigger in queued] == [
        ("addons.access.tasks.sync_chunk_task", 100, "admin"),
        ("addons.access.tasks.sync_chunk_task", 100, "admin"),
        ("addons.access.tasks.sync_chunk_task", 50, "admin"),
    ]
    assert sorted(u for _, uuids, _ in queued for u in uuids) == sorted(
        str(resource.uuid) for resource in resources
    )


def test_sync_now_skips_deprovisioned_resources_and_says_so(
    operator_client, provisioned_resource, resource, queued, django_capture_on_commit_callbacks
):
    AddonResource.objects.filter(pk=resource.pk).update(state=AddonResource.State.DEPROVISIONED)

    with django_capture_on_commit_callbacks(execute=True):
        response = sync_now(operator_client, provisioned_resource, resource)

    assert messages_of(response) == [
        "Queued 1 sync task for 1 resource; results appear under Sync runs.",
        "Skipped 1 de-provisioned resource: Heroku removed it, so there is no access list to sync.",
    ]
    assert [uuids for _, uuids, _ in queued] == [[str(provisioned_resource.uuid)]]


def test_sync_now_with_only_deprovisioned_resources_queues_nothing(
    operator_client, resource, queued, django_capture_on_commit_callbacks
):
    AddonResource.objects.filter(pk=resource.pk).update(state=AddonResource.State.DEPROVISIONED)

    with django_capture_on_commit_callbacks(execute=True):
        response = sync_now(operator_client, resource)

    assert messages_of(response) == [
        "Nothing was queued: the selected resource is de-provisioned, so there is no access list "
        "to sync."
    ]
    assert queued == []


def test_a_failed_sync_is_reported_under_sync_runs(
    operator_client, fake_heroku, personal_resource, django_capture_on_commit_callbacks
):
    fake_heroku.inject("500", match="/addons/")
    with django_capture_on_commit_callbacks(execute=True):
        sync_now(operator_client, personal_resource)

    run = SyncRun.objects.get()
    assert (run.trigger, run.failed) == (SyncRun.Trigger.ADMIN, 1)
    assert run.failures[0]["uuid"] == str(personal_resource.uuid)
    personal_resource.refresh_from_db()
    assert personal_resource.sync_status == AddonResource.SyncStatus.FAILED
    html = operator_client.get(reverse("admin:addons_syncrun_changelist")).content.decode()
    assert "Admin" in html


def test_search_by_email_finds_every_resource_it_may_use(
    operator_client, fake_heroku, team_resource, personal_resource
):
    from addons.access.sync import sync_resources

    fake_heroku.world.add_member(str(team_resource.uuid), "owner@example.com")
    assert sync_resources(AddonResource.objects.all(), trigger="cron").ok
    url = reverse("admin:addons_addonresource_changelist")
    response = operator_client.get(url, {"q": "Owner@Example.com"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    response = operator_client.get(url, {"q": "a@example.com"})
    assert response.context["cl"].result_count == 1


def test_sync_run_pages(operator_client, synced_resource):
    run = SyncRun.objects.get()
    response = operator_client.get(reverse("admin:addons_syncrun_changelist"))
    assert response.status_code == 200 and "Command line" in response.content.decode()
    response = operator_client.get(reverse("admin:addons_syncrun_change", args=[run.pk]))
    assert response.status_code == 200
    assert synced_resource.access_token not in response.content.decode()


def test_resources_and_sync_runs_are_view_only(operator_client, synced_resource):
    """A resource's row belongs to Heroku and the sync: a save from its page would write back
    every field over a sync running at that moment. Sync runs are history."""
    before = AddonResource.objects.values().get(pk=synced_resource.pk)
    url = reverse("admin:addons_addonresource_change", args=[synced_resource.pk])
    assert operator_client.post(url, {"app_name": "renamed"}).status_code == 403
    assert AddonResource.objects.values().get(pk=synced_resource.pk) == before
    run = SyncRun.objects.get()
    delete = reverse("admin:addons_syncrun_delete", args=[run.pk])
    assert operator_client.post(delete, {"post": "yes"}).status_code == 403
    assert SyncRun.objects.filter(pk=run.pk).exists()


def notices(response) -> list[str]:
    """Return the admin's messages shown on RESPONSE."""
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    "page", ["admin:addons_addonresource_changelist", "admin:addons_syncrun_changelist"]
)
def test_the_sync_pages_show_no_notice_when_all_is_well(operator_client, synced_resource, page):
    assert notices(operator_client.get(reverse(page))) == []


@pytest.mark.parametrize(
    "page", ["admin:addons_addonresource_changelist", "admin:addons_syncrun_changelist"]
)
def test_the_sync_pages_warn_of_an_open_breaker_paused_and_refused_lists(
    operator_client, make_resource, page
):
    run = SyncRun.objects.create(
        trigger="cron",
        breaker_tripped_at=timezone.now(),
        lists_compared=40,
        lists_shrunk=31,
        paused=12,
    )
    paused, refused, _ = make_resource(), make_resource(), make_resource()
    AddonResource.objects.filter(pk=paused.pk).update(sync_status=AddonResource.SyncStatus.PAUSED)
    AddonResource.objects.filter(pk=refused.pk).update(sync_status=AddonResource.SyncStatus.REFUSED)

    response = operator_client.get(reverse(page))

    breaker, waiting, impossible = notices(response)
    assert "The circuit breaker pauses additions to access lists until" in breaker
    assert f"sync run {run.pk} found 31 of the 40 lists it compared shrinking at once" in breaker
    assert "Removals still apply" in breaker
    assert waiting.startswith("1 resource wait for additions the circuit breaker paused")
    assert impossible.startswith("Heroku's answer for 1 resource cannot be true")
    if page == "admin:addons_syncrun_changelist":
        assert "tripped: 31 of 40 lists shrank" in strip_tags(response.content.decode())
        assert "12 paused" in response.content.decode()


def test_a_breaker_past_its_hold_is_no_longer_announced(operator_client, settings, db):
    SyncRun.objects.create(
        trigger="cron",
        breaker_tripped_at=timezone.now() - timedelta(seconds=settings.SYNC_BREAKER_HOLD + 1),
    )
    response = operator_client.get(reverse("admin:addons_syncrun_changelist"))
    assert notices(response) == []
