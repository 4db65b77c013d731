"""Pieces shared by the add-ons app's admin classes."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin
from accounts.admin.common import ServiceAdminMixin
from addons.exceptions import AddonsError


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """History that only services write, shown on its parent's page."""

    extra = 0
    can_delete = False
    show_change_link = False


class AddonsServiceAdminMixin(ServiceAdminMixin):
    """An admin class whose writes call the add-ons app's services; what they refuse is shown."""

    service_errors = (AddonsError,)
