"""`manage.py sync_access` end to end: the real command, client and threads against the fake."""

import io
import json
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from addons.access.claims import claim_lease
from addons.access.sync import Status, sync_resource, sync_resources
from addons.access.tasks import sync_access_task, sync_resource_task
from addons.models import AccessChange, AccessGrant, AddonResource, PlatformResponse, SyncRun

pytestmark = pytest.mark.django_db


def sync_access(*args) -> tuple[int, str]:
    """Run sync_access; return (exit status, stdout)."""
    out = io.StringIO()
    try:
        call_command("sync_access", *args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def sync_json(*args) -> tuple[int, dict]:
    code, out = sync_access("--json", *args)
    return code, json.loads(out)


def emails(resource) -> set[str]:
    return set(AccessGrant.objects.filter(resource=resource).values_list("email", flat=True))


def grant_rows(resource) -> list[tuple]:
    return list(
        AccessGrant.objects.filter(resource=resource)
        .order_by("email")
        .values_list("email", "heroku_user_id", "sources", "role", "created_at", "confirmed_at")
    )


def writes(queries, table=None) -> list[str]:
    statements = [q["sql"] for q in queries]
    found = [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]
    return [s for s in found if table is None or f'"{table}"' in s]


def test_first_sync_of_team_and_personal_apps(fake_heroku, team_resource, personal_resource):
    world = fake_heroku.world
    code, report = sync_json()
    assert code == 0
    expected_team = world.expected_emails(str(team_resource.uuid))
    staleness = report.pop(
        "staleness"
    )  # the fleet's, after the run (tests/addons/access/test_schedule.py)
    assert staleness["resources"] == 2 and staleness["never_synced"] == 0
    assert report == {
        "resources": 2,
        "synced": 2,
        "failed": 0,
        "unchanged": 0,
        "added": len(expected_team) + 3,
        "removed": 0,
        "failures": [],
        "skipped": 0,
        "skipped_resources": [],
        "paused": 0,
        "breaker": {
            "tripped": False,
            "additions_paused_by_run": None,
            "lists_compared": 2,
            "lists_shrunk": 0,
        },
        "deferred": 0,
    }
    assert emails(team_resource) == expected_team  # 1,203 people: paged in pages of 1000
    assert emails(personal_resource) == {"owner@example.com", "a@example.com", "b@example.com"}
    assert any(
        "Range" in headers and "]" in headers["Range"] for _, _, headers in fake_heroku.requests
    )

    dup = AccessGrant.objects.get(resource=team_resource, email="dup@example.com")
    assert dup.sources == ["collaborator", "team_member"]
    assert dup.heroku_user_id == world.user_id("dup@example.com")
    owner = AccessGrant.objects.get(resource=personal_resource, email="owner@example.com")
    assert (owner.sources, owner.role) == (["collaborator"], "owner")

    team_resource.refresh_from_db()
    assert (team_resource.app_name, team_resource.team_name) == ("team-app", "acme-team")
    assert team_resource.team_id and team_resource.app_id
    assert team_resource.sync_status == AddonResource.SyncStatus.OK
    assert team_resource.sync_claimed_by == ""  # released
    assert team_resource.sync_claimed_until <= timezone.now()
    run = SyncRun.objects.get()
    assert (run.trigger, run.synced, run.added) == ("cron", 2, report["added"])
    assert run.finished_at is not None
    assert AccessChange.objects.filter(sync_run=run, change="added").count() == report["added"]


def test_an_unchanged_second_run_is_all_304s_and_writes_only_timestamps(
    fake_heroku, team_resource, personal_resource
):
    assert sync_access()[0] == 0
    before = {r.pk: grant_rows(r) for r in (team_resource, personal_resource)}
    stored = list(PlatformResponse.objects.order_by("pk").values_list("pk", "etag", "updated_at"))
    fake_heroku.reset_counters()

    with CaptureQueriesContext(connection) as queries:
        code, report = sync_json()

    assert code == 0 and report["unchanged"] == 2 and report["added"] == report["removed"] == 0
    assert all("If-None-Match" in headers for _, _, headers in fake_heroku.requests)
    for table in ("addons_accessgrant", "addons_accesschange", "addons_platformresponse"):
        assert not [w for w in writes(queries, table) if not w.startswith("UPDATE")], table
    grant_updates = writes(queries, "addons_accessgrant")
    assert len(grant_updates) == 2  # one per resource, not one per row
    assert all('SET "confirmed_at"' in sql for sql in grant_updates)
    for sql in writes(queries, "addons_addonresource"):
        columns = set(re.findall(r'"(\w+)" = ', sql.split(" WHERE ")[0]))
        assert columns <= {"last_synced_at", "sync_claimed_by", "sync_claimed_until"}, sql
    assert not writes(queries, "addons_platformresponse")
    assert (
        list(PlatformResponse.objects.order_by("pk").values_list("pk", "etag", "updated_at"))
        == stored
    )
    for resource in (team_resource, personal_resource):
        after = grant_rows(resource)
        assert [row[:5] for row in after] == [row[:5] for row in before[resource.pk]]


def test_a_failing_resource_keeps_its_list_while_the_others_sync(
    fake_heroku, team_resource, personal_resource
):
    assert sync_access()[0] == 0
    world = fake_heroku.world
    world.add_collaborator(str(team_resource.uuid), "new-team@example.com")
    world.add_collaborator(str(personal_resource.uuid), "new-solo@example.com")
    before = grant_rows(personal_resource)
    app_id = world.app_of(str(personal_resource.uuid))["id"]
    fake_heroku.inject("500", match=f"/apps/{app_id}/collaborators")

    code, report = sync_json()

    assert code == 1
    assert report["synced"] == 1 and report["failed"] == 1
    (failure,) = report["failures"]
    assert failure["uuid"] == str(personal_resource.uuid) and "HTTP 500" in failure["error"]
    assert "new-team@example.com" in emails(team_resource)
    assert grant_rows(personal_resource) == before
    personal_resource.refresh_from_db()
    assert personal_resource.sync_status == AddonResource.SyncStatus.FAILED
    assert personal_resource.access_token not in personal_resource.sync_error


@pytest.mark.parametrize(
    "fault,fragment",
    [
        ("reset", "ConnectionError"),
        ("malformed", "not JSON"),
        ("partial-no-next-range", "without Next-Range"),
        ("403", "403 forbidden"),
    ],
)
def test_every_kind_of_fault_leaves_the_list_as_it_was(fake_heroku, team_resource, fault, fragment):
    assert sync_access()[0] == 0
    fake_heroku.world.remove_member(str(team_resource.uuid), "member0001@example.com")
    before = grant_rows(team_resource)
    fake_heroku.inject(fault, match="/members")
    code, report = sync_json()
    assert code == 1 and fragment in report["failures"][0]["error"]
    assert grant_rows(team_resource) == before


def test_a_removal_upstream_is_recorded(fake_heroku, team_resource):
    assert sync_access()[0] == 0
    fake_heroku.world.remove_member(str(team_resource.uuid), "member0007@example.com")
    code, report = sync_json()
    assert code == 0 and report["removed"] == 1 and report["added"] == 0
    assert "member0007@example.com" not in emails(team_resource)
    change = AccessChange.objects.get(change="removed")
    assert (change.email, change.resource) == ("member0007@example.com", team_resource)
    assert change.sync_run == SyncRun.objects.first()  # the latest run


def test_an_owner_removing_4_of_5_collaborators_removes_them_at_once(fake_heroku, make_resource):
    team = [f"dev{i}@example.com" for i in range(4)]
    resource = make_resource(owner="owner@example.com", collaborators=team)
    assert sync_access()[0] == 0
    assert len(emails(resource)) == 5
    for email in team:
        fake_heroku.world.remove_collaborator(str(resource.uuid), email)

    code, report = sync_json()

    assert (code, report["removed"], report["failures"]) == (0, 4, [])
    assert emails(resource) == {"owner@example.com"}
    resource.refresh_from_db()
    assert (resource.sync_status, resource.sync_error) == (AddonResource.SyncStatus.OK, "")
    assert set(
        AccessChange.objects.filter(change="removed").values_list("email", flat=True)
    ) == set(team)


def test_a_team_losing_most_of_its_members_is_followed(fake_heroku, make_resource):
    members = [f"m{i}@example.com" for i in range(6)]
    resource = make_resource(team="t", collaborators=["lead@example.com"], members=members)
    assert sync_access()[0] == 0
    for email in members[:5]:
        fake_heroku.world.remove_member(str(resource.uuid), email)

    code, report = sync_json()

    assert (code, report["removed"]) == (0, 5)
    assert emails(resource) == {"lead@example.com", "m5@example.com"}


def assert_refused(resource, before, report, fragment):
    """Check that REPORT refused RESOURCE for FRAGMENT and left its list as BEFORE."""
    (failure,) = report["failures"]
    assert failure["uuid"] == str(resource.uuid) and fragment in failure["error"], failure
    assert grant_rows(resource) == before
    resource.refresh_from_db()
    assert resource.sync_status == AddonResource.SyncStatus.REFUSED
    assert fragment in resource.sync_error


@pytest.mark.parametrize("team", [None, "t"], ids=["personal", "team"])
def test_an_empty_list_is_refused(fake_heroku, make_resource, team):
    people = ["owner@example.com", "c@example.com"]
    members = ["m@example.com"] if team else []
    resource = make_resource(team=team, collaborators=people, members=members)
    assert sync_access()[0] == 0
    before = grant_rows(resource)
    for email in people:
        fake_heroku.world.remove_collaborator(str(resource.uuid), email)
    for email in members:
        fake_heroku.world.remove_member(str(resource.uuid), email)

    code, report = sync_json()

    assert code == 1
    assert_refused(resource, before, report, "listed nobody who may use the app")


def test_a_personal_app_listed_without_its_owner_is_refused(fake_heroku, personal_resource):
    assert sync_access()[0] == 0
    before = grant_rows(personal_resource)
    fake_heroku.world.remove_collaborator(str(personal_resource.uuid), "owner@example.com")

    code, report = sync_json()

    assert code == 1
    assert_refused(personal_resource, before, report, "without its owner owner@example.com")


def test_the_owner_is_recognised_by_user_id_whatever_the_email(fake_heroku, personal_resource):
    app = fake_heroku.world.app_of(str(personal_resource.uuid))
    app["owner"]["email"] = "Former.Address@example.com"  # the account's email changed since
    assert sync_json()[0] == 0
    assert len(emails(personal_resource)) == 3


def test_a_team_app_whose_team_has_no_members_is_refused(fake_heroku, make_resource):
    resource = make_resource(team="t", collaborators=["c@example.com"], members=["m@example.com"])
    assert sync_access()[0] == 0
    before = grant_rows(resource)
    fake_heroku.world.remove_member(str(resource.uuid), "m@example.com")

    code, report = sync_json()

    assert code == 1
    assert_refused(resource, before, report, "listed no members of the team t")


@pytest.mark.parametrize(
    "fault,fragment",
    [
        ("pages-skip", "the next page would not start where this one ends"),
        ("pages-overlap", "the next page would not start where this one ends"),
        ("content-range-mismatch", "has Content-Range"),
        ("partial-no-next-range", "without Next-Range"),
    ],
)
def test_pages_that_do_not_add_up_are_refused(fake_heroku, team_resource, fault, fragment):
    assert sync_access()[0] == 0
    fake_heroku.world.remove_member(str(team_resource.uuid), "member0001@example.com")
    before = grant_rows(team_resource)
    fake_heroku.inject(fault, match="/members")

    code, report = sync_json()

    assert code == 1
    assert_refused(team_resource, before, report, fragment)
    assert "refused: GET /teams/" in report["failures"][0]["error"]


def test_force_is_gone_and_says_so(personal_resource):
    with pytest.raises(CommandError, match="--force is gone") as caught:
        call_command("sync_access", "--force", stdout=io.StringIO())
    assert caught.value.returncode == 2
    assert not SyncRun.objects.exists()


def test_a_404_on_the_addon_marks_the_resource_deprovisioned(fake_heroku, personal_resource):
    assert sync_access()[0] == 0
    fake_heroku.world.remove_addon(str(personal_resource.uuid))
    code, report = sync_json()
    assert code == 1 and "de-provisioned" in report["failures"][0]["error"]
    personal_resource.refresh_from_db()
    assert personal_resource.state == AddonResource.State.DEPROVISIONED
    assert personal_resource.deprovisioned_at is not None
    assert len(emails(personal_resource)) == 3  # history kept; SSO checks the state
    assert sync_json()[1]["resources"] == 0  # never synced again


def test_dry_run_prints_the_diff_and_writes_nothing(fake_heroku, personal_resource):
    assert sync_access()[0] == 0
    fake_heroku.world.add_collaborator(str(personal_resource.uuid), "new@example.com")
    fake_heroku.world.remove_collaborator(str(personal_resource.uuid), "b@example.com")
    runs = SyncRun.objects.count()
    with CaptureQueriesContext(connection) as queries:
        code, out = sync_access("--dry-run")
    assert code == 0
    assert "+ new@example.com" in out and "- b@example.com" in out and "Dry run" in out
    assert writes(queries) == []
    assert SyncRun.objects.count() == runs
    assert "new@example.com" not in emails(personal_resource)


def test_an_expired_token_is_refreshed_and_stored_encrypted(fake_heroku, personal_resource):
    old_token = personal_resource.access_token
    fake_heroku.world.expire_token(old_token)
    assert sync_access()[0] == 0
    personal_resource.refresh_from_db()
    assert personal_resource.access_token != old_token
    assert personal_resource.token_expires_at > timezone.now() + timedelta(hours=7)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM addons_addonresource WHERE id = %s",
            [personal_resource.pk],
        )
        raw_access, raw_refresh = cursor.fetchone()
    assert personal_resource.access_token not in raw_access
    assert personal_resource.refresh_token not in raw_refresh


def test_a_resource_held_by_a_live_run_is_skipped_and_reported_with_its_holder(
    fake_heroku, team_resource, personal_resource, live_run
):
    live_run.claim([team_resource.pk], free_before=timezone.now())
    holder = SyncRun.objects.get(claim_id=live_run.claim_id)

    code, report = sync_json()

    assert code == 0  # held by a live run: synced there, not failed here
    assert (report["synced"], report["resources"], report["skipped"]) == (1, 1, 1)
    (skipped,) = report["skipped_resources"]
    assert skipped == {
        "uuid": str(team_resource.uuid),
        "reason": f"held by run {holder.pk} on worker-2 (pid 4242)",
        "held_by": {"run": holder.pk, "host": "worker-2", "pid": 4242, "claim": live_run.claim_id},
    }
    assert not any(str(team_resource.uuid) in path for path in fake_heroku.paths())
    assert emails(team_resource) == set()
    run = SyncRun.objects.exclude(pk=holder.pk).get()
    assert (run.synced, run.skipped, run.skipped_resources) == (1, 1, [skipped])

    code, out = sync_access()
    assert f"{team_resource.uuid}: skipped, held by run {holder.pk} on worker-2" in out
    assert "1 of 1 resources synced, 1 left to other runs" in out


def test_a_claim_of_a_run_that_died_is_taken_at_once(fake_heroku, team_resource, live_run):
    live_run.claim([team_resource.pk], free_before=timezone.now())
    live_run.liveness.release()  # what the operating system or PostgreSQL does when it dies
    team_resource.refresh_from_db()
    assert team_resource.sync_claimed_until > timezone.now() + claim_lease() / 2  # lease unexpired

    code, report = sync_json()

    assert (code, report["synced"], report["skipped"]) == (0, 1, 0)
    assert emails(team_resource)
    team_resource.refresh_from_db()
    assert team_resource.sync_claimed_by == ""


def test_a_claim_whose_lease_ran_out_is_taken_though_its_run_lives(
    fake_heroku, team_resource, live_run
):
    # A live run renews its claims; one whose lease ran out is hung, and others may go on.
    live_run.claim([team_resource.pk], free_before=timezone.now())
    AddonResource.objects.filter(pk=team_resource.pk).update(
        sync_claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert sync_json()[1]["synced"] == 1
    assert emails(team_resource)


def test_stale_chooses_only_old_lists(fake_heroku, team_resource, personal_resource):
    assert sync_access()[0] == 0
    AddonResource.objects.filter(pk=personal_resource.pk).update(
        last_synced_at=timezone.now() - timedelta(seconds=301)
    )
    assert sync_json("--stale")[1]["resources"] == 1
    assert sync_json("--resource", str(team_resource.uuid))[1]["resources"] == 1
    assert sync_json("--addon", "acme-search")[1]["resources"] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--resource", "not-a-uuid"],
        ["--resource", "00000000-0000-4000-8000-000000000000"],
        ["--addon", "no-such-addon"],
        ["--concurrency", "0"],
    ],
)
def test_bad_usage_exits_2(args, personal_resource):
    assert sync_access(*args)[0] == 2


def test_the_query_count_of_a_changed_resource_does_not_grow_with_its_list(make_resource):
    small = make_resource(team="s", collaborators=["a@example.com"], members=["b@example.com"])
    big = make_resource(
        team="b",
        collaborators=[f"c{i}@example.com" for i in range(30)],
        members=[f"m{i}@example.com" for i in range(400)],
    )
    counts = []
    for resource in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert sync_resource(resource, trigger="cron").ok
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_sync_resource_for_sso(fake_heroku, personal_resource):
    outcome = sync_resource(personal_resource, trigger=SyncRun.Trigger.SSO, timeout=2)
    assert outcome.ok and outcome.error == "" and outcome.status == Status.SYNCED
    assert personal_resource.access_list_is_fresh()

    fake_heroku.inject("503", match="/addons/")
    outcome = sync_resource(personal_resource, trigger=SyncRun.Trigger.SSO, timeout=2)
    assert not outcome.ok and "503" in outcome.error


def test_tasks(fake_heroku, team_resource, personal_resource):
    assert sync_resource_task(personal_resource.pk) == "synced"
    assert sync_resource_task(10**9) == "missing"
    report = sync_access_task()  # only the stale one: the team resource
    assert report["resources"] == 1 and report["synced"] == 1
    assert SyncRun.objects.filter(trigger="schedule").count() == 1
    assert SyncRun.objects.filter(trigger="provision").count() == 1


def test_sync_resources_accepts_an_iterable(fake_heroku, personal_resource):
    report = sync_resources([personal_resource], trigger="admin", concurrency=1)
    assert [outcome.status for outcome in report.outcomes] == [Status.SYNCED]


def test_access_list_of_a_resource(fake_heroku, personal_resource):
    sync_access()
    out = io.StringIO()
    call_command("access_list", str(personal_resource.uuid), stdout=out)
    text = out.getvalue()
    assert "owner@example.com" in text and "collaborator" in text and "fresh" in text

    out = io.StringIO()
    call_command("access_list", str(personal_resource.uuid), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["resource"] == str(personal_resource.uuid) and data["fresh"] is True
    assert {p["email"] for p in data["people"]} == {
        "owner@example.com",
        "a@example.com",
        "b@example.com",
    }
    assert all(p["since"] and p["sources"] == ["collaborator"] for p in data["people"])


def test_access_list_of_an_email(fake_heroku, team_resource, personal_resource):
    fake_heroku.world.add_collaborator(str(team_resource.uuid), "owner@example.com")
    sync_access()
    out = io.StringIO()
    call_command("access_list", "--email", "OWNER@example.com", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {r["resource"] for r in data["resources"]} == {
        str(team_resource.uuid),
        str(personal_resource.uuid),
    }
    out = io.StringIO()
    call_command("access_list", "--email", "nobody@example.com", stdout=out)
    assert "may use no resource" in out.getvalue()


@pytest.mark.parametrize(
    "args", [[], ["not-a-uuid"], ["00000000-0000-4000-8000-000000000000"], ["x", "--email", "a@b"]]
)
def test_access_list_bad_usage_exits_2(args, db):
    with pytest.raises(CommandError) as caught:
        call_command("access_list", *args, stdout=io.StringIO())
    assert caught.value.returncode == 2
