"""Pieces shared by the add-ons app's admin classes."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from accounts.admin import ReadOnlyAdminMixin
from accounts.admin.common import ServiceAdminMixin
from addons.exceptions import AddonsError
from portal import json_input
from portal.text import is_storable_json


class BoundedJSONField(forms.JSONField):
    """A JSON form field that reads JSON as the portal's APIs do (portal.json_input).

    Django's own field hands any text to `json.loads`, so 30,000 "[" raise RecursionError (a 500),
    and shows a refused value again with `ensure_ascii=False`, so a "\\ud800" escape cannot be
    encoded in the page (a 500 again). This one refuses a value nested too deep or holding a NUL
    or a lone surrogate, and shows values as ASCII JSON.
    """

    def to_python(self, value):
        if isinstance(value, str) and not self.disabled:
            try:
                json_input.check_nesting(value, limit=json_input.MAX_NESTING - 1)
            except json_input.NestingTooDeep:
                raise ValidationError(
                    "This value nests arrays and objects more than "
                    f"{json_input.MAX_NESTING} levels deep."
                ) from None
        converted = super().to_python(value)
        if not is_storable_json(converted):
            raise ValidationError("This value holds a NUL character or a lone surrogate.")
        return converted

    def bound_data(self, data, initial):
        try:
            if isinstance(data, str):
                json_input.check_nesting(data, limit=json_input.MAX_NESTING - 1)
        except json_input.NestingTooDeep:
            return InvalidJSONInput(data)
        return super().bound_data(data, initial)

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, cls=self.encoder)

    def has_changed(self, initial, data):
        try:
            return super().has_changed(initial, data)
        except ValidationError:
            return True


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """History that only services write, shown on its parent's page."""

    extra = 0
    can_delete = False
    show_change_link = False


class AddonsServiceAdminMixin(ServiceAdminMixin):
    """An admin class whose writes call the add-ons app's services; what they refuse is shown."""

    service_errors = (AddonsError,)
