"""Operators' admin for add-ons and their plans. Secrets are never shown here."""

from django.contrib import admin

from addons.models import (
    Addon,
    Plan,
)

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
