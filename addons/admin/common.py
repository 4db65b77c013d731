"""Pieces shared by the add-ons app's admin classes."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """History that only services write, shown on its parent's page."""

    extra = 0
    can_delete = False
    show_change_link = False
