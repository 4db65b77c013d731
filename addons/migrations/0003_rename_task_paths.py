"""Point stored django-q2 schedules at the task functions' new modules.

The restructuring moved the tasks: a grant-exchange retry scheduled before the upgrade would
otherwise fail to import its function. (The periodic schedules are rewritten by name after every
migrate anyway; this covers the one-off rows too.)
"""

from django.db import migrations

MOVED = {
    "addons.provisioning.retry_grant_exchange": "addons.partner_api.grants.retry_grant_exchange",
    "addons.tasks.sync_resource_task": "addons.access.tasks.sync_resource_task",
    "addons.tasks.sync_access_task": "addons.access.tasks.sync_access_task",
    "addons.tasks.sync_chunk_task": "addons.access.tasks.sync_chunk_task",
    "accounts.notifications.deliver_notification": "accounts.outbox.deliver_notification",
    "accounts.notifications.deliver_due_notifications": "accounts.outbox.deliver_due_notifications",
}


def rename(apps, schema_editor, moves):
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in moves.items():
        Schedule.objects.using(schema_editor.connection.alias).filter(func=old).update(func=new)


def forwards(apps, schema_editor):
    rename(apps, schema_editor, MOVED)


def backwards(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("addons", "0002_sync_claim_lease_and_platform_response_cache"),
        ("django_q", "__latest__"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
