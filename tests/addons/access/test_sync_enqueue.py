"""`sync_access --enqueue`: one django-q2 task per chunk of resources (tasks recorded, not run)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from addons.access.tasks import sync_chunk_task
from addons.models import AccessGrant, AddonResource, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven_resources(make_resource):
    return [make_resource(collaborators=[f"c{i}@example.com"]) for i in range(7)]


def enqueue(*args) -> dict:
    out = io.StringIO()
    call_command("sync_access", "--enqueue", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_enqueue_queues_one_task_per_chunk_and_syncs_nothing_itself(queued, seven_resources):
    assert enqueue("--chunk-size", "3") == {"enqueued_tasks": 3, "resources": 7}

    chunks = [args[1] for args in queued]
    assert [len(chunk) for chunk in chunks] == [3, 3, 1]
    assert sorted(uuid for chunk in chunks for uuid in chunk) == sorted(
        str(resource.uuid) for resource in seven_resources
    )
    assert {args[0] for args in queued} == {"addons.access.tasks.sync_chunk_task"}
    assert not SyncRun.objects.exists()


def test_enqueue_leaves_out_deprovisioned_resources(queued, seven_resources):
    AddonResource.objects.filter(pk=seven_resources[0].pk).update(
        state=AddonResource.State.DEPROVISIONED
    )
    assert enqueue()["resources"] == 6


@pytest.mark.parametrize(
    "args", [["--chunk-size", "0"], ["--dry-run"], ["--force"]], ids=["zero", "dry", "force"]
)
def test_enqueue_bad_usage_exits_2(queued, args, seven_resources):
    with pytest.raises(CommandError) as error:
        call_command("sync_access", "--enqueue", *args, stdout=io.StringIO())
    assert error.value.returncode == 2
    assert queued == []


def test_a_chunk_task_syncs_its_resources(fake_heroku, seven_resources):
    chunk = [str(resource.uuid) for resource in seven_resources[:3]]

    result = sync_chunk_task(chunk, "schedule")

    assert result["synced"] == 3 and result["failed"] == 0
    synced = set(AccessGrant.objects.values_list("resource__uuid", flat=True))
    assert {str(uuid) for uuid in synced} == set(chunk)
