"""The admin's view of add-on webhooks and freshness: a badge and a filter on the resource list,
and the fleet's staleness atop the sync runs."""

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html

from addons.models import AddonResource, WebhookSubscription

Status = WebhookSubscription.Status


WEBHOOK_BADGE_CLASSES = {
    Status.ACTIVE: "badge-ok",
    Status.PENDING: "badge-muted",
    Status.FAILED: "badge-warning",
    Status.REFUSED: "badge-error",
    Status.RETIRING: "badge-muted",
    Status.REMOVED: "badge-muted",
}


def webhook_badge(resource: AddonResource) -> str:
    """Return RESOURCE's subscription status as a badge; the error (if any) as its title."""
    subscription = getattr(resource, "webhook_subscription", None)
    if subscription is None:
        return format_html(
            '<span class="badge badge-muted" title="{}">{}</span>',
            "No subscription: the schedule alone keeps this list fresh.",
            "none (schedule only)",
        )
    label = "active" if subscription.healthy else f"{subscription.status} (schedule only)"
    return format_html(
        '<span class="badge {}" title="{}">{}</span>',
        WEBHOOK_BADGE_CLASSES.get(subscription.status, ""),
        subscription.error or subscription.get_status_display(),
        label,
    )


class WebhookHealthFilter(admin.SimpleListFilter):
    """Resources with a healthy (active) webhook subscription, or without one."""

    title = "webhook subscription"
    parameter_name = "webhook"

    def lookups(self, request, model_admin):
        return [
            ("healthy", "Healthy (webhooks and the schedule)"),
            ("unhealthy", "None, failed or refused (schedule only)"),
        ]

    def queryset(self, request, queryset):
        healthy = Q(webhook_subscription__status=Status.ACTIVE)
        if self.value() == "healthy":
            return queryset.filter(healthy)
        if self.value() == "unhealthy":
            return queryset.exclude(healthy)
        return queryset


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def staleness_summary(staleness: dict) -> str:
    """Return the fleet's staleness (see addons.access.staleness) in one line for operators."""
    if not staleness["resources"]:
        return "Access lists: no provisioned resource yet."
    return (
        f"Access lists of {staleness['resources']} provisioned resources: "
        f"p50 {_duration(staleness['p50_seconds'])} old, "
        f"p99 {_duration(staleness['p99_seconds'])}, "
        f"oldest {_duration(staleness['oldest_seconds'])} ({staleness['oldest_uuid']}); "
        f"{staleness['never_synced']} never synced; "
        f"{staleness['with_webhook']} with a healthy webhook subscription."
    )
