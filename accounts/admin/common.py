"""Pieces shared by the admin classes of both apps."""

from accounts.templatetags.accounts_tags import permission_labels


def permissions_display(obj) -> str:
    return ", ".join(permission_labels(obj.permissions)) or "—"


class ReadOnlyAdminMixin:
    """Rows that only services write: operators may look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
