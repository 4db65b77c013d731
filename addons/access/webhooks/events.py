"""The work of an accepted delivery: re-fetch the resource's list, or mark it destroyed."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from addons.access.outcomes import Status
from addons.access.sync import sync_resource
from addons.models import AddonResource, SyncRun, WebhookDelivery

logger = logging.getLogger(__name__)


DESTROYED = {("addon", "destroy"): "add-on", ("app", "destroy"): "app"}


def handle_delivery(*, delivery: WebhookDelivery) -> str:
    """Do DELIVERY's work and return what happened in a few words.

    An add-on or app destroy marks the resource (the Partner API's de-provisioning follows and
    ends it); any other event re-fetches the resource's whole list through the sync, never
    trusting the event's body to grant anything. "busy" means another run holds the resource:
    the caller asks again a little later, since that run may have fetched before the change.
    """
    resource = delivery.subscription.resource
    destroyed = DESTROYED.get((delivery.resource_type, delivery.action))
    if destroyed:
        mark_destroyed(resource=resource, what=destroyed)
        return f"marked: the {destroyed} was destroyed on Heroku"
    if resource.state != AddonResource.State.PROVISIONED:
        return f"skipped: the resource is {resource.state}"
    outcome = sync_resource(resource, trigger=SyncRun.Trigger.WEBHOOK)
    if outcome.status == Status.SKIPPED and resource.state == AddonResource.State.PROVISIONED:
        return "busy"
    return outcome.status if outcome.ok else f"{outcome.status}: {outcome.error}"


@transaction.atomic
def mark_destroyed(*, resource: AddonResource, what: str) -> None:
    """Record that RESOURCE's WHAT ("add-on" or "app") was destroyed on Heroku.

    The state stays the lifecycle's: Heroku's de-provisioning call still has to reach the add-on's
    service. Until then the resource is reported as failing, with the reason.
    """
    AddonResource.objects.filter(pk=resource.pk).update(
        sync_status=AddonResource.SyncStatus.FAILED,
        sync_error=(
            f"Heroku destroyed this resource's {what} (webhook, "
            f"{timezone.now():%Y-%m-%d %H:%M:%S} UTC); de-provisioning follows."
        ),
    )
