"""Fixtures of the access-list sync tests."""

import pytest

from addons.access.claims import ClaimLease
from addons.models import SyncRun


@pytest.fixture
def live_run(db):
    """Another sync run, alive in this process: its liveness lock held, its SyncRun recorded
    (on host worker-2, pid 4242)."""
    lease = ClaimLease()
    lease.hold()
    SyncRun.objects.create(trigger="cron", claim_id=lease.claim_id, host="worker-2", pid=4242)
    yield lease
    lease.release()
