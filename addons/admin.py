"""Operators' admin for add-ons and their plans. Secrets are never shown here."""

from django.contrib import admin

from addons.models import Addon, AddonResource, PartnerAPICall, Plan

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


# Add-on Partner API (issue 4): resources and the call log ------------------------------------
RESOURCE_SECRET_FIELDS = ("access_token", "refresh_token", "grant_code")


@admin.register(AddonResource)
class AddonResourceAdmin(admin.ModelAdmin):
    """Resources as Heroku provisioned them. Tokens and grants are never shown; a failed grant
    exchange shows in `grant_error`. Heroku alone changes a resource, through the Partner API."""

    list_display = (
        "uuid",
        "addon",
        "plan",
        "app_name",
        "state",
        "sync_status",
        "last_synced_at",
        "has_grant_error",
        "created_at",
    )
    list_select_related = ("addon", "plan")
    list_filter = ("state", "sync_status", ("grant_error", admin.EmptyFieldListFilter), "addon")
    search_fields = ("uuid", "name", "app_name", "team_name", "addon__slug")
    exclude = RESOURCE_SECRET_FIELDS
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in RESOURCE_SECRET_FIELDS]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # keep every resource's history; Heroku de-provisions

    @admin.display(boolean=True, description="Grant error")
    def has_grant_error(self, obj):
        return bool(obj.grant_error)


@admin.register(PartnerAPICall)
class PartnerAPICallAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
