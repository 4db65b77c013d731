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
    )
