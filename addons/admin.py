"""Operators' admin for add-ons and their plans. Secrets are never shown here."""

from django import forms
from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from accounts.admin import ReadOnlyAdminMixin
from addons import tickets
from addons.exceptions import TicketError
from addons.models import (
    AccessChange,
    AccessGrant,
    Addon,
    AddonResource,
    PartnerAPICall,
    Plan,
    SyncRun,
    Ticket,
    TicketEvent,
)
from addons.sync import sync_resources

SECRET_FIELDS = ("api_password", "sso_salt", "oauth_client_secret", "intake_token_hash")


class PlanInline(admin.TabularInline):
    model = Plan
    fields = ("slug", "name", "price_cents", "visibility")
    extra = 0


@admin.register(Addon)
class AddonAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "company", "created_at")
    list_select_related = ("company",)
    search_fields = ("name", "slug", "company__name")
    exclude = SECRET_FIELDS
    inlines = [PlanInline]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("addon", "slug", "name", "price_cents", "visibility")
    list_select_related = ("addon",)
    list_filter = ("visibility",)
    search_fields = ("slug", "name", "addon__slug", "addon__name")


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """History that only services write, shown on its parent's page."""

    extra = 0
    can_delete = False
    show_change_link = False


# Tickets ---------------------------------------------------------------------------------------


class TicketAddForm(forms.ModelForm):
    """The operator's "new ticket" form; saved through `addons.tickets.open_ticket`."""

    body = forms.CharField(widget=forms.Textarea, help_text="The first message of the ticket.")
    escalate = forms.BooleanField(
        required=False,
        label="Escalate to the add-on's support queue now",
        help_text="Emails the company users who handle tickets.",
    )

    class Meta:
        model = Ticket
        fields = ["addon", "resource", "subject", "requester_email", "priority"]

    def clean(self):
        cleaned = super().clean()
        addon, resource = cleaned.get("addon"), cleaned.get("resource")
        if addon and resource and resource.addon_id != addon.pk:
            self.add_error("resource", "That resource does not belong to this add-on.")
        return cleaned


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["created_at", "kind", "actor_email", "body", "details"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Operators open and escalate tickets here; both go through `addons.tickets`."""

    list_display = [
        "number",
        "subject",
        "addon",
        "status",
        "priority",
        "escalated_at",
        "created_at",
    ]
    list_filter = ["status", "priority", ("escalated_at", admin.EmptyFieldListFilter), "addon"]
    list_select_related = ["addon"]
    search_fields = ["subject", "requester_email", "=id"]
    raw_id_fields = ["resource"]
    actions = ["escalate"]
    readonly_fields = [
        "addon",
        "resource",
        "subject",
        "requester_email",
        "assignee",
        "escalated_at",
        "created_at",
        "updated_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TicketAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "addon",
                "resource",
                "subject",
                "requester_email",
                "priority",
                "body",
                "escalate",
            ]
        return [*self.readonly_fields[:4], "status", "priority", *self.readonly_fields[4:]]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return [TicketEventInline] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # the history is append-only; close a ticket instead

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)  # unsaved; save_model calls services
        data = form.cleaned_data
        return tickets.open_ticket(
            addon=data["addon"],
            resource=data["resource"],
            subject=data["subject"],
            body=data["body"],
            requester_email=data["requester_email"],
            priority=data["priority"],
            escalate=data["escalate"],
            actor=request.user,
            source=tickets.TicketSource.ADMIN,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return  # open_ticket saved it
        current = Ticket.objects.get(pk=obj.pk)
        data = form.cleaned_data
        try:
            if data["status"] != current.status:
                tickets.change_ticket_status(
                    ticket=current, status=data["status"], actor=request.user
                )
            if data["priority"] != current.priority:
                tickets.change_ticket_priority(
                    ticket=current, priority=data["priority"], actor=request.user
                )
        except TicketError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def save_related(self, request, form, formsets, change):
        if change:  # the events inline is read-only: this saves nothing, but marks it processed
            super().save_related(request, form, formsets, change)

    @admin.action(description="Escalate to support queue")
    def escalate(self, request, queryset):
        escalated = skipped = 0
        for ticket in queryset:
            try:
                tickets.escalate_ticket(ticket=ticket, actor=request.user)
            except TicketError:
                skipped += 1
            else:
                escalated += 1
        self.message_user(request, f"Escalated {escalated} ticket(s); skipped {skipped}.")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "addon":
            kwargs["queryset"] = Addon.objects.select_related("company")
        if db_field.name == "resource":
            kwargs["queryset"] = AddonResource.objects.select_related("addon")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# Access lists and their sync ------------------------------------------------------------------
# Resources, their access lists and the sync history are read-only here: they come from Heroku.
# Tokens are never shown: the resource form excludes them and no list or inline names them.

RECENT_CHANGES = 50
STATUS_BADGE_CLASSES = {
    AddonResource.SyncStatus.NEVER: "badge-muted",
    AddonResource.SyncStatus.OK: "badge-ok",
    AddonResource.SyncStatus.FAILED: "badge-error",
    AddonResource.SyncStatus.REFUSED: "badge-warning",
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


@admin.register(AddonResource)
class AddonResourceAdmin(admin.ModelAdmin):
    # The sync status comes early: the changelist scrolls sideways, and it is what operators
    # come here to read.
    list_display = [
        "uuid",
        "app_name",
        "sync_status_badge",
        "last_synced_at",
        "team_name",
        "plan",
        "state",
        "has_grant_error",
    ]
    list_filter = [
        "sync_status",
        "state",
        ("grant_error", admin.EmptyFieldListFilter),
        "addon",
    ]
    list_select_related = ["addon", "plan__addon"]
    search_fields = ["uuid", "name", "app_name", "team_name", "addon__slug"]
    search_help_text = "A resource UUID, app or team name — or an email: every resource it may use."
    actions = ["sync_now"]
    exclude = ["access_token", "refresh_token", "grant_code", "sync_claimed_by"]
    inlines = [AccessGrantInline, AccessChangeInline]

    class Media:
        css = {"all": ["addons/admin.css"]}

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False  # resources come from Heroku's provisioning calls

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

    @admin.action(description="Sync access list now")
    def sync_now(self, request, queryset):
        report = sync_resources(queryset, trigger=SyncRun.Trigger.ADMIN)
        summary = (
            f"{report.synced} synced ({report.unchanged} unchanged), "
            f"{report.added} added, {report.removed} removed, {report.failed} failed"
        )
        if report.skipped:
            summary += f", {report.skipped} skipped (de-provisioned or being synced)"
        if report.ok:
            self.message_user(request, summary + ".", messages.SUCCESS)
        else:
            errors = "; ".join(f"{f['uuid']}: {f['error']}" for f in report.failures[:5])
            self.message_user(request, f"{summary}. {errors}", messages.WARNING)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
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
        "duration",
    ]
    list_filter = ["trigger", "dry_run"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PartnerAPICall)
class PartnerAPICallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The Partner API call log: read-only, and it holds no body, header or secret."""

    list_display = (
        "created_at",
        "addon",
        "method",
        "path",
        "status_code",
        "outcome",
        "duration_ms",
    )
    list_select_related = ("addon",)
    list_filter = ("status_code", "method", "addon")
    search_fields = ("resource_uuid", "path", "outcome")
    date_hierarchy = "created_at"
