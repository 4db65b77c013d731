"""Smoke tests start real processes (see processes.py); they are all marked `slow`."""

from pathlib import Path

import pytest

from tests.smoke.processes import (  # noqa: F401 (fixtures)
    gunicorn_server,
    qcluster,
    smoke_database_url,
    smoke_env,
)

SMOKE_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SMOKE_DIR in item.path.parents:
            item.add_marker(pytest.mark.slow)
