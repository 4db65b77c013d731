"""Pieces shared by the admin classes of both apps."""

from django.contrib import messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.exceptions import AccountsError
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


# Set on the request when a service refused the save: the form is then shown again with it.
REFUSAL_ATTRIBUTE = "_admin_service_refusal"


def add_refusal_to_form(form, refusal: Exception, field: str | None = None) -> None:
    """Put REFUSAL, an error a service raised, on FORM: on the fields it names, else on FIELD."""
    if isinstance(refusal, ValidationError) and hasattr(refusal, "error_dict"):
        for name, errors in refusal.error_dict.items():
            if name in form.fields:
                form.add_error(name, errors)
            else:  # a field this form does not show
                label = "" if name == NON_FIELD_ERRORS else f"{name}: "
                form.add_error(None, [f"{label}{message}" for e in errors for message in e])
        return
    errors = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal)]
    form.add_error(field if field in form.fields else None, errors)


class ServiceAdminMixin:
    """A ModelAdmin whose saving and deleting hooks call services: what a service refuses is shown.

    The services hold the rules, so the hooks call them and the forms repeat none of them. When a
    service refuses a save (a `ValidationError` keyed by field, or one of SERVICE_ERRORS), the
    admin's transaction rolls back, so nothing of the request is written, and the form is shown
    again with what the operator sent and the refusal on the field it names (REFUSAL_FIELDS maps
    an error class to a field; otherwise above the form). A refused delete is an error message.

    Rows are deleted one at a time, from their own page, through `delete_model`: the changelist's
    bulk "delete selected" action, which would call `delete_queryset`, is not offered. The service
    decides what goes with a row, so the delete page is stopped only by protected rows, not by
    other admins refusing to delete the related rows one by one.

    An added row is created by a service, in `save_form`, so the add view shows no inlines.
    """

    service_errors: tuple[type[Exception], ...] = (AccountsError,)
    refusal_fields: dict[type[Exception], str] = {}

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def save_related(self, request, form, formsets, change):
        if change:  # an added row was created, whole, by the service that save_form called
            super().save_related(request, form, formsets, change)

    def get_inlines(self, request, obj):
        return super().get_inlines(request, obj) if obj is not None else []

    def get_deleted_objects(self, objs, request):
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, *self.service_errors) as refusal:
            if request.method != "POST" or hasattr(request, REFUSAL_ATTRIBUTE):
                raise
            setattr(request, REFUSAL_ATTRIBUTE, refusal)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return form_class
        field = next(
            (name for cls, name in self.refusal_fields.items() if isinstance(refusal, cls)), None
        )

        class RefusedForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                add_refusal_to_form(self, refusal, field)
                return cleaned_data

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except self.service_errors as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        opts = self.opts
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
        )
