"""Operators' admin for resources, their access lists and the sync history.

All of it is read-only here: it comes from Heroku. "Sync access list now" queues the sync for
the django-q2 workers.
"""

import logging

from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.admin import ReadOnlyAdminMixin
from addons.access.selectors import sync_alerts
from addons.access.staleness import fleet_staleness
from addons.access.tasks import enqueue_sync
from addons.admin.common import ReadOnlyInline
from addons.admin.lifecycle import CredentialRotationInline, LifecycleEventInline
from addons.admin.webhooks import WebhookHealthFilter, staleness_summary, webhook_badge
from addons.models import (
    AccessChange,
    AccessGrant,
    AddonResource,
    SyncRun,
)

logger = logging.getLogger(__name__)

RECENT_CHANGES = 50


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


STATUS_BADGE_CLASSES = {
    AddonResource.SyncStatus.NEVER: "badge-muted",
    AddonResource.SyncStatus.OK: "badge-ok",
    AddonResource.SyncStatus.FAILED: "badge-error",
    AddonResource.SyncStatus.REFUSED: "badge-warning",
    AddonResource.SyncStatus.PAUSED: "badge-warning",
}


class AccessGrantInline(ReadOnlyInline):
    model = AccessGrant
    verbose_name = "person who may use this resource"
    verbose_name_plural = "access list"
    fields = ["email", "sources_display", "role", "heroku_user_id", "created_at", "confirmed_at"]
    readonly_fields = fields

    @admin.display(description="sources")
    def sources_display(self, grant):
        return ", ".join(grant.sources)


class RecentChangesFormSet(BaseInlineFormSet):
    def get_queryset(self):
        return super().get_queryset().order_by("-at", "-id")[:RECENT_CHANGES]


class AccessChangeInline(ReadOnlyInline):
    model = AccessChange
    formset = RecentChangesFormSet
    verbose_name_plural = f"recent access changes (latest {RECENT_CHANGES})"
    fields = ["at", "email", "change", "sync_run"]
    readonly_fields = fields


class SyncAlertsMixin:
    """Show what operators must know about the sync (`sync_alerts`) atop the changelist."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for alert in sync_alerts():
                self.message_user(request, alert, messages.WARNING)
        return super().changelist_view(request, extra_context)


@admin.register(AddonResource)
class AddonResourceAdmin(SyncAlertsMixin, admin.ModelAdmin):
    # The sync status comes early: the changelist scrolls sideways, and it is what operators
    # come here to read.
    list_display = [
        "uuid",
        "app_name",
        "sync_status_badge",
        "webhook_status",
        "last_synced_at",
        "team_name",
        "plan",
        "state",
        "has_grant_error",
    ]
    list_filter = [
        "sync_status",
        WebhookHealthFilter,
        "state",
        ("grant_error", admin.EmptyFieldListFilter),
        "addon",
    ]
    list_select_related = ["addon", "plan__addon", "webhook_subscription"]
    search_fields = ["uuid", "name", "app_name", "team_name", "addon__slug"]
    search_help_text = "A resource UUID, app or team name — or an email: every resource it may use."
    actions = ["sync_now"]
    # Secrets are never shown; the Logplex ones are said to be set or not (see below).
    exclude = [
        "access_token",
        "refresh_token",
        "grant_code",
        "sync_claimed_by",
        "log_input_url",
        "log_drain_token",
    ]
    inlines = [
        AccessGrantInline,
        AccessChangeInline,
        LifecycleEventInline,
        CredentialRotationInline,
    ]

    class Media:
        css = {"all": ["addons/admin.css"]}

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in self.model._meta.fields if f.name not in self.exclude]
        return [*names, "log_input_set", "log_drain_token_set"]

    @admin.display(boolean=True, description="log input URL set")
    def log_input_set(self, obj):
        return bool(obj.log_input_url)

    @admin.display(boolean=True, description="log drain token set")
    def log_drain_token_set(self, obj):
        return bool(obj.log_drain_token)

    def has_add_permission(self, request):
        return False  # resources come from Heroku's provisioning calls

    def has_change_permission(self, request, obj=None):
        return False  # a save would write back the whole row over a sync running at that moment

    def has_delete_permission(self, request, obj=None):
        return False  # keep every resource's history; Heroku de-provisions

    @admin.display(boolean=True, description="Grant error")
    def has_grant_error(self, obj):
        return bool(obj.grant_error)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if "@" in term:
            # An email: every resource whose access list names it (unique per resource, so no
            # duplicates from the join).
            return queryset.filter(grants__email=term.lower()), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="sync status", ordering="sync_status")
    def sync_status_badge(self, resource):
        return format_html(
            '<span class="badge {}" title="{}">{}</span>',
            STATUS_BADGE_CLASSES.get(resource.sync_status, ""),
            resource.sync_error,
            resource.get_sync_status_display(),
        )

    @admin.display(description="webhooks", ordering="webhook_subscription__status")
    def webhook_status(self, resource):
        return webhook_badge(resource)

    def has_sync_permission(self, request):
        # The rows are read-only here (has_change_permission), but queueing a sync changes them:
        # it needs the model's change permission, not just view.
        return request.user.has_perm("addons.change_addonresource")

    @admin.action(description="Sync access list now", permissions=["sync"])
    def sync_now(self, request, queryset):
        """Queue the sync of the selected resources, in chunks, for the django-q2 workers.

        Syncing hundreds of resources takes longer than a request may; the runs appear under
        Sync runs as the workers finish them.
        """
        try:
            queued = enqueue_sync(queryset, trigger=SyncRun.Trigger.ADMIN, label="admin sync")
        except Exception as exc:  # the broker (Redis, or the database queue) is out of reach
            logger.exception("could not queue the admin's sync of %d resources", queryset.count())
            self.message_user(
                request,
                f"Nothing could be queued: the task queue refused ({type(exc).__name__}). "
                "Check that the worker's broker is running, then try again.",
                messages.ERROR,
            )
            return
        self._report_queued(
            request, tasks=queued.tasks, resources=queued.resources, skipped=queued.deprovisioned
        )

    def _report_queued(self, request, *, tasks: int, resources: int, skipped: int) -> None:
        if not tasks:
            what = "resource is" if skipped == 1 else "resources are"
            self.message_user(
                request,
                f"Nothing was queued: the selected {what} de-provisioned, so there is no access "
                "list to sync.",
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            format_html(
                'Queued {} for {}; results appear under <a href="{}">Sync runs</a>.',
                _count(tasks, "sync task"),
                _count(resources, "resource"),
                reverse("admin:addons_syncrun_changelist"),
            ),
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                f"Skipped {_count(skipped, 'de-provisioned resource')}: Heroku removed "
                f"{'it' if skipped == 1 else 'them'}, so there is no access list to sync.",
                messages.INFO,
            )


@admin.register(SyncRun)
class SyncRunAdmin(SyncAlertsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The sync history, written by the sync alone."""

    list_display = [
        "started_at",
        "trigger",
        "dry_run",
        "resources",
        "synced",
        "unchanged",
        "added",
        "removed",
        "failed",
        "skipped",
        "breaker",
        "duration",
        "host",
        "pid",
    ]
    list_filter = ["trigger", "dry_run", ("breaker_tripped_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "started_at"

    def changelist_view(self, request, extra_context=None):
        # How old the fleet's lists are, atop the runs that keep them (a summary, not an alert).
        extra_context = {**(extra_context or {})}
        if request.method == "GET":
            extra_context["staleness_summary"] = staleness_summary(fleet_staleness())
        return super().changelist_view(request, extra_context)

    class Media:
        css = {"all": ["addons/admin.css"]}

    @admin.display(description="circuit breaker")
    def breaker(self, run):
        """Say whether RUN tripped the breaker, and how many lists it paused."""
        parts = []
        if run.breaker_tripped_at:
            parts.append(
                format_html(
                    '<span class="badge badge-error">tripped: {} of {} lists shrank</span>',
                    run.lists_shrunk,
                    run.lists_compared,
                )
            )
        if run.paused:
            parts.append(
                format_html('<span class="badge badge-warning">{} paused</span>', run.paused)
            )
        return format_html_join(" ", "{}", ((part,) for part in parts)) if parts else "—"
