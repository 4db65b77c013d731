from django.contrib import admin

from accounts.models import Notification

# Notifications (the outbox) --------------------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only view of the email outbox: what is pending, what failed, and why."""

    list_display = [
        "subject",
        "email",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["email", "subject", "dedupe_key"]
    date_hierarchy = "created_at"
    fields = [
        "status",
        "email",
        "recipient",
        "company",
        "kind",
        "dedupe_key",
        "subject",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "body_text",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
