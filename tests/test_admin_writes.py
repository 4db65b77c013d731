"""Every write the admin makes goes through a service: a table of how each model is written,
checked against every ModelAdmin and inline registered for the accounts and addons apps.

An admin class that would save, change or delete a row itself fails here: either it refuses the
operation (has_*_permission answers False), or the Django hooks that would write the row
(`save_model`, `save_formset`, `delete_model`, `delete_queryset`) are overridden by this project's
code, and that code calls the services the table names.
"""

import inspect
import sys
from types import ModuleType

import pytest
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.test import RequestFactory

from accounts import services as accounts_services
from accounts.models import AuditEvent, Company, CompanyUser, Invitation, Notification, User
from addons.manifests import services as manifest_services
from addons.models import (
    AccessChange,
    AccessGrant,
    Addon,
    AddonResource,
    AddonService,
    CredentialRotation,
    LifecycleEvent,
    PartnerAPICall,
    Plan,
    SyncRun,
    Ticket,
    TicketEvent,
)
from addons.tickets import services as ticket_services

# Django's own account forms: the account's own fields, which no company rule governs.
DJANGO_AUTH = "django.contrib.auth"

# model -> operation (add, change, delete) -> the module whose services the admin must call.
# An operation missing from a model's row must be refused by every admin that shows the model.
HOW_WRITTEN: dict[type, dict[str, ModuleType | str]] = {
    # Deleting an account would take its memberships along (CASCADE), past the last-manager rule
    # and the audit; the admin refuses that because the company-user admin refuses deletes
    # (tests/accounts/test_admin.py pins it), so only a person with no membership can be deleted.
    User: {"add": DJANGO_AUTH, "change": DJANGO_AUTH, "delete": DJANGO_AUTH},
    Company: {
        "add": accounts_services,
        "change": accounts_services,
        "delete": accounts_services,
    },
    # Added, given rights and revoked on the admin's own pages and actions, which call
    # accounts.services.
    CompanyUser: {},
    # Sent, resent and cancelled by the admin's own pages and actions, through accounts.services.
    Invitation: {},
    AuditEvent: {},
    Notification: {},
    Addon: {"add": manifest_services, "change": manifest_services, "delete": manifest_services},
    Plan: {"add": manifest_services, "change": manifest_services, "delete": manifest_services},
    # Closed, never deleted: its history is append-only.
    Ticket: {"add": ticket_services, "change": ticket_services},
    TicketEvent: {},
    # Provisioned and de-provisioned by Heroku; "Sync access list now" queues the sync task.
    AddonResource: {},
    AccessGrant: {},
    AccessChange: {},
    SyncRun: {},
    PartnerAPICall: {},
    # The add-on lifecycle's records and settings: written by addons.lifecycle's services only.
    LifecycleEvent: {},
    CredentialRotation: {},
    AddonService: {},
}

APPS = {"accounts", "addons"}
PROJECT_PACKAGES = {"accounts", "addons", "portal"}


def _operator_request():
    request = RequestFactory().get("/admin/")
    request.user = User(email="operator@example.com", is_staff=True, is_superuser=True)
    return request


def _registered():
    """(model, ModelAdmin) for every model of APPS registered on the default admin site."""
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APPS
    ]


def _inlines(model, model_admin) -> list[InlineModelAdmin]:
    request = _operator_request()
    classes = {*model_admin.inlines}
    for obj in (None, model()):
        classes.update(model_admin.get_inlines(request, obj))
    return [inline(model, admin.site) for inline in classes]


def _is_project_code(func) -> bool:
    module = getattr(func, "__module__", None) or ""
    return module.split(".")[0] in PROJECT_PACKAGES


def _hook(model_admin, name: str):
    """MODEL_ADMIN's NAME method, or None when it is django.contrib.admin's own."""
    func = inspect.unwrap(getattr(type(model_admin), name))
    return func if _is_project_code(func) else None


def _calls(func, module: ModuleType, owner: type, seen: set) -> bool:
    """Whether FUNC, or project code it calls (its own helpers and OWNER's methods), uses MODULE."""
    if func in seen or not inspect.isfunction(func) or not _is_project_code(func):
        return False
    seen.add(func)
    names = inspect.getclosurevars(func)
    for value in (*names.globals.values(), *names.nonlocals.values()):
        if value is module or getattr(value, "__module__", None) == module.__name__:
            return True
        if _calls(value, module, owner, seen):
            return True
    for name in names.unbound:
        helper = inspect.getattr_static(owner, name, None)
        helper = getattr(helper, "__func__", helper)  # staticmethod, classmethod
        if _calls(helper, module, owner, seen):
            return True
    return False


def _calls_service(model_admin, hooks: tuple[str, ...], module: ModuleType) -> bool:
    owner = type(model_admin)
    return any(
        _calls(_hook(model_admin, name), module, owner, set())
        for name in hooks
        if _hook(model_admin, name)
    )


def _permitted(model_admin, request) -> dict[str, bool]:
    if isinstance(model_admin, InlineModelAdmin):
        parent = model_admin.parent_model()
        return {
            "add": model_admin.has_add_permission(request, parent),
            "change": model_admin.has_change_permission(request, parent),
            "delete": model_admin.has_delete_permission(request, parent),
        }
    return {
        "add": model_admin.has_add_permission(request),
        "change": model_admin.has_change_permission(request),
        "delete": model_admin.has_delete_permission(request),
    }


def _problems_of_model_admin(model, model_admin) -> list[str]:
    request = _operator_request()
    row = HOW_WRITTEN[model]
    problems = []
    for operation, allowed in _permitted(model_admin, request).items():
        if not allowed:
            continue
        module = row.get(operation)
        if module is None:
            problems.append(f"permits {operation}, which only services may do")
            continue
        if module == DJANGO_AUTH:
            continue
        if operation in ("add", "change"):
            if _hook(model_admin, "save_model") is None:
                problems.append(f"{operation}: save_model is Django's own (obj.save())")
            if not _calls_service(model_admin, ("save_form", "save_model"), module):
                problems.append(f"{operation}: save_form/save_model call no {module.__name__}")
        else:
            if not _calls_service(model_admin, ("delete_model",), module):
                problems.append(f"delete: delete_model calls no {module.__name__}")
            bulk = "delete_selected" in model_admin.get_actions(request)
            if bulk and not _calls_service(model_admin, ("delete_queryset",), module):
                problems.append(f"delete: delete_queryset calls no {module.__name__}")
    return problems


def _problems_of_inline(model_admin, inline) -> list[str]:
    request = _operator_request()
    row = HOW_WRITTEN[inline.model]
    problems = []
    for operation, allowed in _permitted(inline, request).items():
        if not allowed:
            continue
        module = row.get(operation)
        if module is None:
            problems.append(f"{type(inline).__name__} permits {operation}")
        elif not _calls_service(model_admin, ("save_formset",), module):
            problems.append(
                f"{type(inline).__name__} permits {operation}, "
                f"but save_formset calls no {module.__name__}"
            )
    return problems


def _cases():
    return [
        pytest.param(model, model_admin, id=model._meta.label)
        for model, model_admin in _registered()
    ]


@pytest.mark.parametrize(("model", "model_admin"), _cases())
def test_admin_writes_only_through_services(model, model_admin):
    problems = _problems_of_model_admin(model, model_admin)
    for inline in _inlines(model, model_admin):
        problems += _problems_of_inline(model_admin, inline)
    assert not problems, f"{type(model_admin).__name__}: " + "; ".join(problems)


def test_the_table_says_how_every_model_shown_in_the_admin_is_written():
    shown = set()
    for model, model_admin in _registered():
        shown.add(model)
        shown.update(inline.model for inline in _inlines(model, model_admin))
    missing = sorted(model._meta.label for model in shown - set(HOW_WRITTEN))
    assert not missing, f"add these models to HOW_WRITTEN: {missing}"


class _DirectAdmin(admin.ModelAdmin):
    """An admin class as Django writes it: it saves and deletes rows itself."""


class _ServiceAdmin(admin.ModelAdmin):
    def save_form(self, request, form, change):
        return manifest_services.update_manifest(addon=form.instance, actor=None, changes={})

    def save_model(self, request, obj, form, change):
        pass

    def delete_model(self, request, obj):
        self._delete(request, obj)

    def _delete(self, request, obj):
        manifest_services.regenerate_api_password(addon=obj, actor=request.user)

    def get_actions(self, request):
        return {}


def test_the_check_catches_an_admin_that_saves_itself():
    problems = _problems_of_model_admin(Addon, _DirectAdmin(Addon, admin.site))
    assert any("save_model is Django's own" in p for p in problems)
    assert any("delete_model calls no" in p for p in problems)


def test_the_check_follows_helpers_to_the_services(monkeypatch):
    # The admin classes above are test code; count them as the project's for this test.
    monkeypatch.setattr(sys.modules[__name__], "PROJECT_PACKAGES", {*PROJECT_PACKAGES, "tests"})
    assert _problems_of_model_admin(Addon, _ServiceAdmin(Addon, admin.site)) == []
    assert _problems_of_model_admin(Plan, _DirectAdmin(Plan, admin.site))
