"""Tell operators what a sync cannot fix by itself: the circuit breaker tripped."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.outbox import queue_email
from addons.access.breaker import breaker_hold
from addons.models import SyncRun

BREAKER_EMAIL_KIND = "sync_breaker"


def alert_breaker_tripped(*, run: SyncRun) -> int:
    """E-mail every active staff user that RUN tripped the circuit breaker; return how many.

    Once per run and address (the outbox's dedupe key), however often it is called.
    """
    context = {
        "run": run,
        "share": settings.SYNC_BREAKER_SHARE,
        "paused_until": run.breaker_tripped_at + breaker_hold(),
        "run_url": settings.SITE_URL + reverse("admin:addons_syncrun_change", args=[run.pk]),
        "resources_url": settings.SITE_URL
        + reverse("admin:addons_addonresource_changelist")
        + "?sync_status__exact=paused",
    }
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    queued = 0
    for user in staff.order_by("pk"):
        notification = queue_email(
            email=user.email,
            template="sync_breaker",
            context=context,
            kind=BREAKER_EMAIL_KIND,
            dedupe_key=f"sync-breaker:run-{run.pk}",
            recipient=user,
        )
        queued += notification is not None
    return queued
