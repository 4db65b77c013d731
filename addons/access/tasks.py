"""django-q2 tasks of the access-list sync: they take ids, load rows and call the sync."""

from __future__ import annotations

import logging

from addons.access.sync import sync_resource, sync_resources
from addons.models import AddonResource, SyncRun

logger = logging.getLogger(__name__)


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


def sync_chunk_task(uuids: list[str], trigger: str = SyncRun.Trigger.SCHEDULE) -> dict:
    """Sync the resources with these UUIDS (one chunk of `sync_access --enqueue`)."""
    report = sync_resources(AddonResource.objects.filter(uuid__in=uuids), trigger=trigger)
    return report.as_json()
