"""django-q2 tasks of the access-list sync: they take ids, load rows and call the sync."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from itertools import batched

from django_q.tasks import async_task

from addons.access.staleness import due_for_sync
from addons.access.sync import sync_resource, sync_resources
from addons.access.webhooks import commands as webhook_commands
from addons.access.webhooks import events as webhook_events
from addons.access.webhooks import receiver as webhook_receiver
from addons.access.webhooks import subscriptions as webhook_subscriptions
from addons.models import AddonResource, SyncRun, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

SYNC_CHUNK_TASK = "addons.access.tasks.sync_chunk_task"
DEFAULT_CHUNK_SIZE = 100


def sync_resource_task(resource_id: int) -> str:
    """Sync the access list of resource RESOURCE_ID (the first sync after provisioning)."""
    resource = AddonResource.objects.filter(pk=resource_id).first()
    if resource is None:
        logger.warning("sync_resource_task: resource %s no longer exists", resource_id)
        return "missing"
    outcome = sync_resource(resource, trigger=SyncRun.Trigger.PROVISION)
    return outcome.status if outcome.ok else f"{outcome.status}: {outcome.error}"


def sync_access_task() -> dict:
    """Sync the access lists that are due, stalest first (run by the "sync_access" schedule)."""
    report = sync_resources(due_for_sync(), trigger=SyncRun.Trigger.SCHEDULE)
    return report.as_json()


def sync_chunk_task(uuids: list[str], trigger: str = SyncRun.Trigger.SCHEDULE) -> dict:
    """Sync the resources with these UUIDS (one chunk of `sync_access --enqueue`)."""
    report = sync_resources(AddonResource.objects.filter(uuid__in=uuids), trigger=trigger)
    return report.as_json()


@dataclass(frozen=True)
class Queued:
    """What `enqueue_sync` queued: tasks, the resources in them, and those left out."""

    tasks: int
    resources: int
    deprovisioned: int


def enqueue_sync(
    resources, *, trigger: str, chunk_size: int = DEFAULT_CHUNK_SIZE, label: str = "sync"
) -> Queued:
    """Queue one `sync_chunk_task` per CHUNK_SIZE of RESOURCES (a queryset) for the workers.

    De-provisioned resources have no access list to sync: they are counted, not queued. Each task
    claims its resources like any run, so queueing a resource that a run is syncing is harmless.
    """
    chosen = resources.count()
    uuids = (
        resources.exclude(state=AddonResource.State.DEPROVISIONED)
        .order_by("pk")
        .values_list("uuid", flat=True)
        .iterator(chunk_size=2000)
    )
    tasks = queued = 0
    for chunk in batched((str(value) for value in uuids), chunk_size):
        tasks += 1
        queued += len(chunk)
        async_task(SYNC_CHUNK_TASK, list(chunk), str(trigger), task_name=f"{label} chunk {tasks}")
    return Queued(tasks=tasks, resources=queued, deprovisioned=chosen - queued)


# Add-on webhooks -------------------------------------------------------------------------------
# Seconds to wait before re-fetching again when another run held the resource (it may have
# fetched before the change that the delivery announced).
BUSY_RETRY_DELAYS = (1.0, 3.0, 10.0)


def subscribe_resource_task(resource_id: int) -> str:
    """Subscribe resource RESOURCE_ID's add-on webhook (queued when its tokens arrive)."""
    resource = AddonResource.objects.select_related("addon").filter(pk=resource_id).first()
    if resource is None:
        return "missing"
    return webhook_subscriptions.subscribe_resource(resource=resource).status


def subscribe_pending_task(limit: int = 500) -> dict:
    """Subscribe up to LIMIT resources whose subscription is pending or failed, and forget old
    delivery ids (a schedule)."""
    report = webhook_commands.subscribe_wanted(limit=limit).as_json()
    report["deliveries_pruned"] = webhook_receiver.prune_deliveries()
    return report


def unsubscribe_task(subscription_id: int) -> str:
    """Remove a de-provisioned resource's webhook from Heroku."""
    subscription = (
        WebhookSubscription.objects.select_related("resource")
        .filter(pk=subscription_id, status=WebhookSubscription.Status.RETIRING)
        .first()
    )
    if subscription is None:
        return "nothing to remove"
    return webhook_subscriptions.remove_subscription(subscription=subscription).status


def webhook_delivery_task(delivery_id: int, sleep=time.sleep) -> str:
    """Do the work of an accepted webhook delivery (re-fetch the list, or mark the resource)."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription__resource__addon")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "missing"
    result = webhook_events.handle_delivery(delivery=delivery)
    for delay in BUSY_RETRY_DELAYS:
        if result != "busy":
            break
        sleep(delay)
        delivery.subscription.resource.refresh_from_db()
        result = webhook_events.handle_delivery(delivery=delivery)
    return result
