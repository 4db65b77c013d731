"""`sync_access --enqueue` shared by two qcluster processes through Redis and PostgreSQL.

Real processes: redis-server on a free loopback port, the fake Heroku in its own process with a
generated world, two `manage.py qcluster` with REDIS_URL, all against the throwaway PostgreSQL
database of processes.py. Every resource must be fetched exactly once and end with its true list.
"""

import json
import os
import shutil
import sys
import urllib.request

import pytest

from tests.production import manage
from tests.smoke.processes import (
    STARTUP_TIMEOUT,
    free_port,
    start_process,
    stop_and_check,
    wait_until,
)

RESOURCES = 24
CHUNK = 5


def required() -> bool:
    return os.environ.get("E2E_REQUIRED", "") not in ("", "0", "false")


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if required():
            pytest.fail(f"E2E_REQUIRED=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    port = free_port()
    process = start_process(
        "redis",
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        env=dict(os.environ),
        log_dir=tmp_path,
    )
    wait_until(
        lambda: "Ready to accept connections" in process.log(),
        timeout=STARTUP_TIMEOUT,
        message="redis-server ready",
        process=process,
    )
    yield f"redis://127.0.0.1:{port}/0"
    process.stop()  # redis-server exits 0 on SIGTERM; its log is not worth failing on


def control(url: str, path: str, data: dict | None = None):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(f"{url}/_fake/{path}", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def shell(env, script: str) -> str:
    result = manage("shell", "--no-imports", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


SEED = """
import json, sys
from accounts.models import Company
from addons.models import Addon, AddonResource, Plan
world = json.loads({world!r})
company = Company.objects.create(name="Scale", slug="scale")
addon = Addon.objects.create(company=company, slug="scale-out", name="Scale out")
plan = Plan.objects.create(addon=addon, slug="basic", name="Basic")
AddonResource.objects.bulk_create(
    AddonResource(uuid=row["uuid"], addon=addon, plan=plan, access_token=row["token"],
                  state=AddonResource.State.PROVISIONED)
    for row in world
)
"""

PROGRESS = """
import json
from addons.models import AccessGrant, AddonResource
from django_q.models import Success, Failure
rows = AddonResource.objects.filter(addon__slug="scale-out")
print(json.dumps({
    "synced": rows.filter(sync_status="ok").count(),
    "failed": rows.exclude(sync_status__in=["ok", "never"]).count(),
    "tasks_done": Success.objects.filter(func="addons.access.tasks.sync_chunk_task").count(),
    "tasks_failed": Failure.objects.count(),
}))
"""

LISTS = """
import json
from collections import defaultdict
from addons.models import AccessGrant
lists = defaultdict(list)
for uuid, email in AccessGrant.objects.values_list("resource__uuid", "email"):
    lists[str(uuid)].append(email)
print(json.dumps(lists))
"""


@pytest.mark.parametrize(
    "fake_heroku_process",
    [["--resources", str(RESOURCES), "--big", "450", "--latency", "0.02"]],
    ids=["generated-world"],
    indirect=True,
)
def test_two_clusters_share_an_enqueued_sync_without_overlap(
    smoke_env, redis_url, fake_heroku_process, tmp_path
):
    fake = fake_heroku_process.url
    env = {**smoke_env, "REDIS_URL": redis_url, "HEROKU_API_URL": fake, "HEROKU_ID_URL": fake}
    with urllib.request.urlopen(f"{fake}/_fake/world", timeout=10) as response:
        world = json.load(response)
    shell(env, SEED.format(world=json.dumps(world)))
    control(fake, "reset-counters", {})

    clusters = []
    try:
        for name in ("cluster-a", "cluster-b"):
            process = start_process(
                name,
                [sys.executable, "manage.py", "qcluster"],
                env={**env, "Q_WORKERS": "2"},
                log_dir=tmp_path,
            )
            clusters.append(process)
        for process in clusters:
            wait_until(
                lambda p=process: "running" in p.log(),
                timeout=STARTUP_TIMEOUT,
                message=f"{process.name} running",
                process=process,
            )

        result = manage(
            "sync_access",
            "--enqueue",
            "--addon",
            "scale-out",
            "--chunk-size",
            str(CHUNK),
            "--json",
            env=env,
        )
        assert result.returncode == 0, result.stderr
        tasks = -(-RESOURCES // CHUNK)
        assert json.loads(result.stdout) == {"enqueued_tasks": tasks, "resources": RESOURCES}

        def finished():
            progress = json.loads(shell(env, PROGRESS))
            assert progress["tasks_failed"] == 0 and progress["failed"] == 0, progress
            return progress["tasks_done"] == tasks and progress["synced"] == RESOURCES

        wait_until(finished, timeout=120, message="every chunk task done")
    finally:
        for process in clusters:
            stop_and_check(process)

    counts = control(fake, "counts")
    for row in world:
        assert counts.get(f"/addons/{row['uuid']}") == 1, row["uuid"]
    lists = json.loads(shell(env, LISTS))
    for row in world:
        expected = control(fake, "expected", {"resource": row["uuid"]})
        assert sorted(lists[row["uuid"]]) == expected, row["uuid"]
