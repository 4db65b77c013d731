"""Operators' admin for the Partner API call log."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin
from addons.models import (
    PartnerAPICall,
)


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
