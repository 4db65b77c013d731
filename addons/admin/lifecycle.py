"""Operators' admin for the add-on lifecycle: each step of each resource, credential rotations,
and the add-ons' service settings. All read-only: the lifecycle's services write them.

A resource whose provisioning missed Heroku's 12 hours, or whose step failed for good, is in
state "failed" on the resource list, and its failed events are listed here (outcome "failed").
"""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from accounts.admin import ReadOnlyAdminMixin
from addons.admin.common import ReadOnlyInline
from addons.models import AddonService, CredentialRotation, LifecycleEvent

RECENT_EVENTS = 100


class RecentEventsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        return super().get_queryset().order_by("-at", "-id")[:RECENT_EVENTS]


class LifecycleEventInline(ReadOnlyInline):
    """The resource's lifecycle, step by step (latest first), on the resource's admin page."""

    model = LifecycleEvent
    formset = RecentEventsFormSet
    verbose_name_plural = f"lifecycle (latest {RECENT_EVENTS} steps)"
    fields = ["at", "step", "outcome", "detail"]
    readonly_fields = fields


class CredentialRotationInline(ReadOnlyInline):
    model = CredentialRotation
    fields = [
        "public_id",
        "trigger",
        "requested_by",
        "status",
        "requested_at",
        "pushed_at",
        "retire_after",
        "retired_at",
        "error",
    ]
    readonly_fields = fields


@admin.register(LifecycleEvent)
class LifecycleEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every step of every resource's lifecycle; filter by outcome "failed" for what needs you."""

    list_display = ("at", "resource", "step", "outcome", "detail")
    list_select_related = ("resource",)
    list_filter = ("outcome", "step", "resource__addon")
    search_fields = ("resource__uuid", "detail")
    date_hierarchy = "at"


@admin.register(CredentialRotation)
class CredentialRotationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("requested_at", "resource", "trigger", "status", "pushed_at", "retired_at")
    list_select_related = ("resource",)
    list_filter = ("status", "trigger")
    search_fields = ("resource__uuid", "public_id", "requested_by")


@admin.register(AddonService)
class AddonServiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Where each add-on's lifecycle events go; the signing secret is never shown."""

    list_display = ("addon", "url", "secret_set", "secret_generated_at", "updated_at")
    list_select_related = ("addon",)
    fields = ("addon", "url", "secret_set", "secret_generated_at", "updated_at")
    readonly_fields = fields

    @admin.display(boolean=True, description="signing secret set")
    def secret_set(self, obj):
        return bool(obj.signing_secret)
