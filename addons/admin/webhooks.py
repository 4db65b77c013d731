"""The admin's view of add-on webhook subscriptions: a badge and a filter on the resource list."""

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
