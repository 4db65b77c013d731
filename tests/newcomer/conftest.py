"""The newcomer's test starts `make run` on a clean clone, offline: it is marked `slow`."""

from pathlib import Path

import pytest

NEWCOMER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if NEWCOMER_DIR in item.path.parents:
            item.add_marker(pytest.mark.slow)
