"""Operators' admin for what services record: the audit trail and the e-mail outbox. Read-only."""

from django.contrib import admin

from accounts.admin.common import ReadOnlyAdminMixin
from accounts.models import AuditEvent, Notification


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "company", "action", "actor", "target")
    list_filter = ("action",)
    list_select_related = ("company", "actor")
    search_fields = ("target", "company__name", "actor__email")
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "email", "kind", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status", "kind")
    list_select_related = ("company",)
    search_fields = ("email", "subject")
