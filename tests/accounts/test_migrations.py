"""Data migrations of the accounts app."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_existing_people_get_an_unverified_address_each():
    """Nobody from before e-mail verification counts as verified: each verifies at next login."""
    executor = MigrationExecutor(connection)
    before = [
        ("accounts", "0005_auditevent_lifecycle_actions"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]
    target = [("accounts", "0006_email_addresses_of_existing_users")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    provider = User.objects.create(email="old-provider@example.com", password="!")
    operator = User.objects.create(email="old-operator@example.com", password="!", is_staff=True)
    already = User.objects.create(email="already@example.com", password="!")
    EmailAddress.objects.create(user=already, email=already.email, verified=True, primary=True)

    executor = MigrationExecutor(connection)
    executor.migrate(target)

    apps = executor.loader.project_state(target).apps
    EmailAddress = apps.get_model("account", "EmailAddress")
    rows = {
        (a.user_id, a.email, a.verified, a.primary)
        for a in EmailAddress.objects.order_by("user_id")
    }
    assert rows == {
        (provider.pk, "old-provider@example.com", False, True),
        (operator.pk, "old-operator@example.com", False, True),
        (already.pk, "already@example.com", True, True),
    }
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
