import pytest

from tests.authz.world import build_world


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """Two companies with one of everything, and a user in every role (see tests.authz.world)."""
    with django_capture_on_commit_callbacks(execute=True):
        world = build_world()
    return world
