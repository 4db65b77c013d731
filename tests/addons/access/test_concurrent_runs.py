"""Two `sync_access` processes at once, on one SQLite file database: no resource synced twice."""

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings

from addons.heroku.fake import FakeHeroku, World

pytestmark = pytest.mark.slow


def test_two_concurrent_runs_never_sync_a_resource_twice(tmp_path):
    world = World.generate(40, seed=7, big=0)
    with FakeHeroku(world, latency=0.05) as fake:
        env = {
            **os.environ,
            "DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "HEROKU_API_URL": fake.url,
            "HEROKU_ID_URL": fake.url,
            "LOG_LEVEL": "WARNING",
        }
        base = settings.BASE_DIR
        run = [sys.executable, "manage.py"]
        subprocess.run([*run, "migrate", "--no-input"], cwd=base, env=env, check=True)
        world_file = tmp_path / "world.json"
        tokens = {grant["resource"]: token for token, grant in world.tokens.items()}
        world_file.write_text(json.dumps([{"uuid": u, "token": tokens[u]} for u in world.addons]))
        seed = [sys.executable, "bench/sync_bench.py", "--seed", str(world_file)]
        subprocess.run(seed, cwd=base, env={**env, "PYTHONPATH": str(base)}, check=True)
        fake.reset_counters()

        # --stale, as cron and the schedule run it: a resource that one run synced is no longer
        # stale for the other, and one being synced is held by the first run's lease.
        sync = [*run, "sync_access", "--stale", "--json", "--concurrency", "4"]
        processes = [
            subprocess.Popen(sync, cwd=base, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=120)[0] for process in processes]
        paths = fake.paths()

    assert [process.returncode for process in processes] == [0, 0]
    reports = [json.loads(output) for output in outputs]
    assert sum(report["synced"] for report in reports) == 40
    addon_calls = Counter(path for path in paths if path.startswith("/addons/"))
    assert len(addon_calls) == 40 and set(addon_calls.values()) == {1}
