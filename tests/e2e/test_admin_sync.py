"""An operator queues an access-list sync from the admin, against the loopback fake Heroku.

The action queues a django-q2 task when its transaction commits. The test settings run django-q2
in sync mode, so the task has run by the time the changelist comes back; in production a qcluster
worker runs it a moment later, and the operator reads the outcome under Sync runs, as here.
"""

import re

from playwright.sync_api import expect

from addons.models import AccessGrant, AddonResource, SyncRun
from tests.e2e.steps import check_key_page


def test_operator_queues_a_sync_and_reads_its_run_under_sync_runs(
    operator_page, personal_resource, screenshot
):
    page, resource = operator_page, personal_resource
    assert resource.sync_status == AddonResource.SyncStatus.NEVER
    page.get_by_role("link", name=re.compile(r"^Add-?on resources$", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Select add-?on resource to view$", re.I)
    )
    row = page.locator("#result_list tbody tr", has_text=str(resource.uuid))
    expect(row.locator(".field-sync_status_badge .badge")).to_have_text("Never synced")
    check_key_page(page, screenshot, "resources")

    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Sync access list now")
    page.get_by_role("button", name="Run", exact=True).click()  # "Go" before Django 6.1

    expect(page.locator(".messagelist .success")).to_have_text(
        "Queued 1 sync task for 1 resource; results appear under Sync runs."
    )
    # The queued task ran (sync mode).
    expect(row.locator(".field-sync_status_badge .badge")).to_have_text("OK")
    check_key_page(page, screenshot, "resources-queued")

    page.locator(".messagelist").get_by_role("link", name="Sync runs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Select sync run to (view|change)$", re.I)
    )
    run = SyncRun.objects.get()
    assert (run.trigger, run.resources, run.synced, run.added) == (SyncRun.Trigger.ADMIN, 1, 1, 3)
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody tr").first).to_contain_text("Admin")
    check_key_page(page, screenshot, "sync-runs")

    page.go_back()
    row.get_by_role("link", name=str(resource.uuid)).click()
    access_list = page.locator("#grants-group")
    for email in ("owner@example.com", "a@example.com", "b@example.com"):
        expect(access_list).to_contain_text(email)
    assert AccessGrant.objects.filter(resource=resource).count() == 3
    expect(page.locator("#content")).not_to_contain_text(resource.access_token)
    check_key_page(page, screenshot, "resource")
