"""The add-ons app's periodic django-q2 schedules (installed after every `migrate`, see apps.py)."""

from django.conf import settings

from accounts.schedules import ScheduleSpec


def addon_schedules() -> tuple[ScheduleSpec, ...]:
    """Return the add-ons app's periodic tasks, as the settings define them now."""
    return (
        # Re-syncs stale access lists. django-q2 schedules in whole minutes, so SYNC_INTERVAL is
        # rounded down (never syncing less often than asked), with a minimum of one minute.
        ScheduleSpec(
            name="sync_access",
            func="addons.access.tasks.sync_access_task",
            minutes=max(1, settings.SYNC_INTERVAL // 60),
        ),
        # Subscribes add-on webhooks for resources that have none yet, or whose subscription
        # failed for a passing reason (those marked by the migration among them); refused ones
        # wait for `manage.py subscribe_webhooks --retry-refused`.
        ScheduleSpec(
            name="subscribe_webhooks",
            func="addons.access.tasks.subscribe_pending_task",
            minutes=15,
        ),
        # The add-on lifecycle's duties: fail provisionings past Heroku's 12 hours (and alert),
        # retire old credentials whose overlap window is over (each is also scheduled on its
        # own, at its time), and resume reports to Heroku that a dead worker left behind.
        ScheduleSpec(
            name="lifecycle_sweep",
            func="addons.lifecycle.tasks.lifecycle_sweep_task",
            minutes=5,
        ),
        # Rotates credentials older than CREDENTIAL_ROTATION_DAYS; does nothing while it is 0
        # (the default), so the schedule is installed either way and the setting switches it.
        ScheduleSpec(
            name="rotate_credentials",
            func="addons.lifecycle.tasks.rotate_due_credentials_task",
            minutes=60,
        ),
    )
