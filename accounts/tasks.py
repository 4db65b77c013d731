"""The project's periodic django-q2 schedules, created and updated by name.

`ensure_schedules()` runs after every `migrate` (a post_migrate handler in `accounts.apps`), so a
fresh or upgraded deployment has its schedules without a manual step. To add a schedule, add a
`ScheduleSpec` to `schedule_specs()`; a schedule is matched by its name, so renaming one leaves the
old row.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django_q.models import Schedule


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    minutes: int


def schedule_specs() -> tuple[ScheduleSpec, ...]:
    """Return the project's periodic tasks, as the settings define them now."""
    return (
        # Sends whatever the outbox still holds: emails whose task was lost or whose send failed.
        ScheduleSpec(
            name="deliver-due-notifications",
            func="accounts.notifications.deliver_due_notifications",
            minutes=1,
        ),
        # Re-syncs stale access lists. django-q2 schedules in whole minutes, so SYNC_INTERVAL is
        # rounded down (never syncing less often than asked), with a minimum of one minute.
        ScheduleSpec(
            name="sync_access",
            func="addons.tasks.sync_access_task",
            minutes=max(1, settings.SYNC_INTERVAL // 60),
        ),
    )


def ensure_schedules(*, using: str = DEFAULT_DB_ALIAS) -> list[Schedule]:
    """Create or update every schedule of `schedule_specs()`, matched by name; safe to rerun."""
    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return []  # django_q is not migrated yet on this database
    schedules = []
    for spec in schedule_specs():
        schedule, _ = Schedule.objects.using(using).update_or_create(
            name=spec.name,
            defaults={
                "func": spec.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": spec.minutes,
                "repeats": -1,
            },
            create_defaults={
                "func": spec.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": spec.minutes,
                "repeats": -1,
                "next_run": timezone.now(),
            },
        )
        schedules.append(schedule)
    return schedules
