"""Smoke tests start real processes (see processes.py); they are all marked `slow`."""

from pathlib import Path

import pytest

from tests.smoke.processes import (  # noqa: F401 (fixtures)
    gunicorn_server,
    qcluster,
    running_fake_heroku,
    smoke_database_url,
    smoke_env,
    smoke_template,
)

SMOKE_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SMOKE_DIR in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def fake_heroku_process(request, tmp_path):
    """The fake Heroku running as a process of its own (a `Server`), its world empty.

    A test that wants a generated world parametrizes this fixture indirectly with the fake's
    command-line arguments, e.g. `["--resources", "24"]` (see test_sync_scale_out.py).
    """
    with running_fake_heroku(tmp_path, args=getattr(request, "param", ())) as server:
        yield server
