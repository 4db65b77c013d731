"""django-q2 tasks of the add-ons app: they take ids, load rows and call the services."""

from __future__ import annotations

import logging

from django.conf import settings

from addons.models import AddonResource, SyncRun
from addons.sync import sync_resource, sync_resources

logger = logging.getLogger(__name__)

SYNC_SCHEDULE_NAME = "sync_access"


def sync_resource_task(resource_id: int) -> str:
    """Sync the access list of resource RESOURCE_ID (the first sync after provisioning)."""
    resource = AddonResource.objects.filter(pk=resource_id).first()
    if resource is None:
        logger.warning("sync_resource_task: resource %s no longer exists", resource_id)
        return "missing"
    outcome = sync_resource(resource, trigger=SyncRun.Trigger.PROVISION)
    return outcome.status if outcome.ok else f"{outcome.status}: {outcome.error}"


def sync_access_task() -> dict:
    """Sync every stale access list (run by the "sync_access" schedule)."""
    report = sync_resources(AddonResource.objects.stale(), trigger=SyncRun.Trigger.SCHEDULE)
    return report.as_json()


def ensure_sync_schedule() -> None:
    """Create or update the django-q2 schedule that runs sync_access_task every SYNC_INTERVAL.

    django-q2 schedules in whole minutes, so the interval is rounded down (never syncing less
    often than asked), with a minimum of one minute.
    """
    from django_q.models import Schedule

    minutes = max(1, settings.SYNC_INTERVAL // 60)
    Schedule.objects.update_or_create(
        name=SYNC_SCHEDULE_NAME,
        defaults={
            "func": "addons.tasks.sync_access_task",
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        },
    )
