"""Periodic django-q2 schedules, created and updated by name.

Each app declares its own `ScheduleSpec`s and calls `ensure_schedules()` with them after every
`migrate` (a post_migrate handler in its `apps.py`), so a fresh or upgraded deployment has its
schedules without a manual step. A schedule is matched by its name, so renaming one leaves the old
row behind.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django_q.models import Schedule


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    minutes: int


def ensure_schedules(
    specs: Iterable[ScheduleSpec], *, using: str = DEFAULT_DB_ALIAS
) -> list[Schedule]:
    """Create or update the schedules SPECS, matched by name; safe to rerun."""
    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return []  # django_q is not migrated yet on this database
    schedules = []
    for spec in specs:
        fields = {
            "func": spec.func,
            "schedule_type": Schedule.MINUTES,
            "minutes": spec.minutes,
            "repeats": -1,
        }
        schedule, _ = Schedule.objects.using(using).update_or_create(
            name=spec.name,
            defaults=fields,
            create_defaults={**fields, "next_run": timezone.now()},
        )
        schedules.append(schedule)
    return schedules


def outbox_schedules() -> tuple[ScheduleSpec, ...]:
    """Return the accounts app's periodic tasks."""
    return (
        # Sends whatever the outbox still holds: emails whose task was lost or whose send failed.
        ScheduleSpec(
            name="deliver-due-notifications",
            func="accounts.outbox.deliver_due_notifications",
            minutes=1,
        ),
    )
