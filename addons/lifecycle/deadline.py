"""What Heroku will not wait for: a resource not provisioned within 12 hours is removed by Heroku
(and not charged), so the portal marks it failed then and alerts operators.

Operators are alerted by e-mail (the outbox, kind `lifecycle_alert`, to every active staff user)
and see the resource in the admin (state "failed", its lifecycle events). `alert_operators` is
also how the rest of the lifecycle reports a step that failed for good.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.outbox import queue_email
from addons.lifecycle.events import Outcome, Step, record_event
from addons.lifecycle.resources import State, WaitingOn, lock_resource
from addons.models import AddonResource

logger = logging.getLogger(__name__)

# Heroku removes an add-on that is not marked provisioned within this time.
PROVISIONING_DEADLINE = timedelta(hours=12)


ALERT_KIND = "lifecycle_alert"


def alert_operators(resource: AddonResource, reason: str) -> int:
    """E-mail every active staff user that REASON went wrong with RESOURCE; return how many."""
    logger.error("Resource %s of %s: %s", resource.uuid, resource.addon.slug, reason)
    digest = hashlib.sha256(reason.encode()).hexdigest()[:16]
    admin_path = reverse("admin:addons_addonresource_change", args=[resource.pk])
    context = {
        "resource": resource,
        "addon": resource.addon,
        "reason": reason,
        "admin_url": f"{settings.SITE_URL}{admin_path}",
    }
    queued = 0
    for operator in User.objects.filter(is_staff=True, is_active=True).order_by("pk"):
        queued += (
            queue_email(
                email=operator.email,
                template="lifecycle_alert",
                context=context,
                kind=ALERT_KIND,
                dedupe_key=f"lifecycle:{resource.uuid}:{digest}",
                company=resource.addon.company,
                recipient=operator,
            )
            is not None
        )
    if not queued:
        logger.error("No operator to alert (no active staff user) about resource %s", resource.uuid)
    return queued


def expire_overdue_provisioning(*, now: datetime | None = None) -> list[AddonResource]:
    """Fail every resource still provisioning PROVISIONING_DEADLINE after it was created, as of
    NOW, and alert operators; return them."""
    now = now or timezone.now()
    overdue = AddonResource.objects.filter(
        state=State.PROVISIONING, created_at__lt=now - PROVISIONING_DEADLINE
    ).values_list("pk", flat=True)
    failed = []
    for resource_id in list(overdue.order_by("pk")[:1000]):
        with transaction.atomic():
            locked = lock_resource(resource_id)
            if locked.state != State.PROVISIONING:
                continue
            waited_for = locked.get_waiting_on_display().lower()
            reason = (
                f"not provisioned within {PROVISIONING_DEADLINE.total_seconds() / 3600:.0f} hours "
                f"(waiting for {waited_for}); Heroku removes such an add-on"
            )
            locked.state, locked.waiting_on = State.FAILED, WaitingOn.NOTHING
            locked.lifecycle_error = reason
            locked.save(update_fields=["state", "waiting_on", "lifecycle_error", "updated_at"])
            record_event(locked, Step.DEADLINE, Outcome.FAILED, reason)
            alert_operators(locked, reason)
        failed.append(locked)
    return failed
