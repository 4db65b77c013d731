"""Data migrations of the add-ons app."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_q.models import Schedule


@pytest.mark.django_db(transaction=True)
def test_moved_task_paths_are_rewritten_in_stored_schedules():
    """A grant retry scheduled before the restructuring still finds its function after it."""
    executor = MigrationExecutor(connection)
    before = [("addons", "0002_sync_claim_lease_and_platform_response_cache")]
    after = executor.loader.graph.leaf_nodes("addons")
    executor.migrate(before)
    Schedule.objects.create(name="retry", func="addons.provisioning.retry_grant_exchange")
    Schedule.objects.create(name="other", func="somewhere.else")

    executor = MigrationExecutor(connection)
    executor.migrate(after)

    assert Schedule.objects.get(name="retry").func == (
        "addons.partner_api.grants.retry_grant_exchange"
    )
    assert Schedule.objects.get(name="other").func == "somewhere.else"
