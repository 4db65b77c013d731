"""Which access lists are due for a sync, and how stale the fleet's lists are."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from addons.models import AddonResource, WebhookSubscription


def due_for_sync(now: datetime | None = None) -> models.QuerySet[AddonResource]:
    """Return the provisioned resources the schedule should sync now.

    A list never synced, or older than SYNC_INTERVAL (or ACCESS_LIST_MAX_AGE, when shorter), is
    due; except that a personal app's list whose webhook subscription is healthy (Heroku tells of
    each change) is due only once older than SYNC_INTERVAL_WITH_WEBHOOK. Team apps always poll at
    SYNC_INTERVAL: no webhook tells of team membership.
    """
    now = now or timezone.now()
    base = min(settings.SYNC_INTERVAL, settings.ACCESS_LIST_MAX_AGE)
    interval = now - timedelta(seconds=base)
    hooked = now - timedelta(seconds=max(settings.SYNC_INTERVAL_WITH_WEBHOOK, 0))
    healthy = models.Q(webhook_subscription__status=WebhookSubscription.Status.ACTIVE) & models.Q(
        team_id=""
    )
    return AddonResource.objects.provisioned().filter(
        models.Q(last_synced_at__isnull=True)
        | (~healthy & models.Q(last_synced_at__lt=interval))
        | (healthy & models.Q(last_synced_at__lt=min(interval, hooked)))
    )


def _percentile(sorted_values: list[float], share: float) -> float:
    """Return the nearest-rank percentile SHARE (0..1) of SORTED_VALUES."""
    rank = max(math.ceil(share * len(sorted_values)), 1)
    return sorted_values[rank - 1]


def fleet_staleness(now: datetime | None = None) -> dict:
    """Return how old the provisioned resources' access lists are: p50, p99 and the oldest (in
    seconds; a list never synced counts from its resource's creation), and how many have a
    healthy webhook subscription."""
    now = now or timezone.now()
    rows = list(
        AddonResource.objects.provisioned().values_list("uuid", "last_synced_at", "created_at")
    )
    healthy = WebhookSubscription.objects.healthy().filter(
        resource__state=AddonResource.State.PROVISIONED
    )
    result = {
        "resources": len(rows),
        "never_synced": sum(1 for _, synced, _ in rows if synced is None),
        "with_webhook": healthy.count(),
        "p50_seconds": None,
        "p99_seconds": None,
        "oldest_seconds": None,
        "oldest_uuid": None,
    }
    if not rows:
        return result
    ages = sorted(
        ((now - (synced or created)).total_seconds(), str(uuid)) for uuid, synced, created in rows
    )
    seconds = [age for age, _ in ages]
    result["p50_seconds"] = round(_percentile(seconds, 0.50), 1)
    result["p99_seconds"] = round(_percentile(seconds, 0.99), 1)
    result["oldest_seconds"] = round(ages[-1][0], 1)
    result["oldest_uuid"] = ages[-1][1]
    return result
