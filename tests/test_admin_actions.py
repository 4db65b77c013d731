"""Every admin action that changes state needs a model permission beyond "view": a table.

`REQUIRED` names, for every action of every ModelAdmin of the accounts and addons apps, the model
permission it needs. A staff user who may only view the model is not offered the action, and a
POST that names it anyway changes nothing (no row, no audit entry, no e-mail, no sync run or
queued task); a staff user who holds the permission is offered it. A new action fails
`test_every_admin_action_is_in_the_table` until it has a row here.
"""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission as ModelPermission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_q.models import OrmQ

from accounts.models import AuditEvent, CompanyUser, Invitation, Notification, User
from addons.models import AddonResource, SyncRun, Ticket

APPS = {"accounts", "addons"}

# (model label, action name) -> the model permission the action needs.
REQUIRED = {
    # Revoking a company user deletes the membership: the model's delete permission.
    ("accounts.companyuser", "revoke_selected"): "accounts.delete_companyuser",
    ("accounts.invitation", "resend_selected"): "accounts.change_invitation",
    ("accounts.invitation", "cancel_selected"): "accounts.change_invitation",
    ("accounts.user", "delete_selected"): "accounts.delete_user",
    ("addons.addonresource", "sync_now"): "addons.change_addonresource",
    ("addons.ticket", "escalate"): "addons.change_ticket",
}


def _actions_of(model_admin) -> set[str]:
    """The names of every action MODEL_ADMIN has, whoever asks (a superuser sees them all)."""
    request = type("Request", (), {})()
    request.user = User(is_staff=True, is_superuser=True, is_active=True)
    request.GET = {}
    return set(model_admin.get_actions(request))


def test_every_admin_action_is_in_the_table():
    found = {
        (model._meta.label_lower, name)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in APPS
        for name in _actions_of(model_admin)
    }
    assert found == set(REQUIRED), (
        f"add to REQUIRED: {sorted(found - set(REQUIRED))}; stale: {sorted(set(REQUIRED) - found)}"
    )


def _permissions(*names: str):
    """The Permission rows of NAMES ("app_label.codename")."""
    rows = []
    for name in names:
        app_label, codename = name.split(".")
        rows.append(
            ModelPermission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return rows


def _staff(password: str, *permissions: str) -> User:
    staff = User.objects.create_user("staff@example.com", password, is_staff=True)
    staff.user_permissions.set(_permissions(*permissions))
    return staff


@pytest.fixture
def one_of_each(supporter, pending_invitation, resource, new_ticket):
    """A row for every action to act on: a company user, an invitation, a resource, a ticket."""
    return {
        "accounts.companyuser": supporter,
        "accounts.invitation": pending_invitation,
        "accounts.user": User.objects.create_user("lonely@example.com", "x"),
        "addons.addonresource": resource,
        "addons.ticket": new_ticket,
    }


def _state() -> dict:
    return {
        "company users": sorted(CompanyUser.objects.values_list("pk", "permissions")),
        "invitations": sorted(Invitation.objects.values_list("pk", "key", "cancelled_at")),
        "users": User.objects.count(),
        "tickets": sorted(Ticket.objects.values_list("pk", "escalated_at", "status")),
        "resources": sorted(AddonResource.objects.values_list("pk", "last_synced_at")),
        "sync runs": SyncRun.objects.count(),
        "queued tasks": OrmQ.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "mail": len(mail.outbox),
    }


def _changelist(label: str) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_changelist")


def _offered(response, action: str) -> bool:
    form = response.context["action_form"]
    return form is not None and action in dict(form.fields["action"].choices)


CASES = [
    pytest.param(label, action, permission, id=f"{label}.{action}")
    for (label, action), permission in REQUIRED.items()
]


@pytest.mark.parametrize(("label", "action", "permission"), CASES)
def test_view_only_staff_are_neither_offered_nor_served_the_action(
    label, action, permission, one_of_each, password
):
    app_label, model_name = label.split(".")
    client = Client()
    client.force_login(_staff(password, f"{app_label}.view_{model_name}"))
    response = client.get(_changelist(label))
    assert response.status_code == 200
    assert not _offered(response, action)
    before = _state()
    row = one_of_each[label]
    forged = {"action": action, ACTION_CHECKBOX_NAME: [row.pk], "confirm": "yes", "post": "yes"}
    response = client.post(_changelist(label), forged)
    assert response.status_code in (200, 302, 403)
    assert _state() == before


@pytest.mark.parametrize(("label", "action", "permission"), CASES)
def test_staff_with_the_permission_are_offered_the_action(
    label, action, permission, one_of_each, password
):
    app_label, model_name = label.split(".")
    client = Client()
    client.force_login(_staff(password, f"{app_label}.view_{model_name}", permission))
    response = client.get(_changelist(label))
    assert _offered(response, action)
