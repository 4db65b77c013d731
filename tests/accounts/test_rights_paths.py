"""No self-escalation on the portal's and the admin's paths: a small table through HTTP.

tests/accounts/test_rights_table.py holds the whole table (every set of rights against every
action that grants rights) at the service level. This one shows that each path, the Company tab's
forms, the invitation link and the admin's pages, reaches that rule: a sample of roles and rights,
each asked through the view, refused with a 403 that says why and writes nothing.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission as ModelPermission
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent, CompanyUser, Invitation, Notification, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from tests.builders import make_provider

pytestmark = pytest.mark.django_db

USERS = Permission.MANAGE_COMPANY_USERS
TICKETS = Permission.SUPPORT_TICKETS
ROLES = {
    "users only": frozenset({USERS}),
    "users and tickets": frozenset({USERS, TICKETS}),
    "tickets only": frozenset({TICKETS}),
    "every right": ALL_PERMISSIONS,
}
NEW_EMAIL = "newcomer-to-acme@example.com"


def values(rights) -> list[str]:
    return sorted(Permission(p).value for p in rights)


def written() -> dict[str, int]:
    """What a refused request must not change: rows, audit entries, queued and sent e-mails."""
    counts = {m.__name__: m.objects.count() for m in (CompanyUser, Invitation, AuditEvent)}
    counts["Notification"] = Notification.objects.count()
    counts["mail"] = len(mail.outbox)
    counts["rights"] = sorted(CompanyUser.objects.values_list("pk", "permissions"))
    return counts


@pytest.fixture
def actor(company, manager, password, request):
    """A company user of `company` holding the rights of the role the test names."""
    rights = ROLES[request.param]
    return CompanyUser.objects.create(
        company=company,
        user=make_provider("actor@example.com", password),
        permissions=rights,
        added_by=manager.user,
    )


@pytest.fixture
def bare_target(company, manager, password):
    """A company user of `company` who holds no right."""
    return CompanyUser.objects.create(
        company=company,
        user=make_provider("bare@example.com", password),
        permissions=frozenset(),
        added_by=manager.user,
    )


def company_url(name: str, *args) -> str:
    return reverse(f"accounts:{name}", args=["acme", *args])


# Each action prepares what it needs, then returns the request that grants RIGHTS, unsent.
def add(client, actor, rights, **kwargs):
    data = {"email": kwargs["colleague"].email, "permissions": rights}
    return lambda: client.post(company_url("company-user-add"), data)


def invite(client, actor, rights, **kwargs):
    data = {"email": NEW_EMAIL, "permissions": rights}
    return lambda: client.post(company_url("invitation-create"), data)


def edit_other(client, actor, rights, **kwargs):
    url = company_url("company-user-edit", kwargs["bare_target"].pk)
    return lambda: client.post(url, {"permissions": rights})


def edit_own(client, actor, rights, **kwargs):
    url = company_url("company-user-edit", actor.pk)
    return lambda: client.post(url, {"permissions": rights})


def accept_sent_by(client, actor, rights, **kwargs):
    """The invitee accepts an invitation that ACTOR sent with RIGHTS (when they could)."""
    invitation = Invitation.objects.create(
        company=actor.company,
        email=kwargs["colleague"].email,
        permissions=frozenset(Permission(r) for r in rights),
        invited_by=actor.user,
        key="k" * 40,
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(kwargs["colleague"])
    url = reverse("accounts:invitation-accept", args=[services.make_invitation_token(invitation)])
    return lambda: client.post(url)


ACTIONS = {
    "add": add,
    "invite": invite,
    "edit another's": edit_other,
    "edit own": edit_own,
    "accept one sent by": accept_sent_by,
}


def allowed(action: str, held: frozenset, asked: frozenset) -> bool:
    """The rule (README, "Company users and their rights"), restated for this table."""
    if action == "edit own":
        return asked <= held
    return USERS in held and asked <= held


CASES = [
    pytest.param(action, role, asked, id=f"{action}-{role}-grants {asked}")
    for action in ACTIONS
    for role in ROLES
    for asked in ("own rights", "every right")
]


@pytest.mark.parametrize(("action", "actor", "asked"), CASES, indirect=["actor"])
def test_each_portal_path_grants_only_what_the_rule_allows(
    client, action, actor, asked, colleague, bare_target
):
    client.force_login(actor.user)
    held = actor.permissions
    rights = held if asked == "own rights" else ALL_PERMISSIONS
    send = ACTIONS[action](
        client, actor, values(rights), colleague=colleague, bare_target=bare_target
    )
    before = written()
    response = send()
    if allowed(action, held, rights):
        assert response.status_code == 302, response.content.decode()
        return
    assert response.status_code == 403, response.content.decode()
    assert written() == before


@pytest.mark.parametrize("actor", ["users only"], indirect=True)
def test_the_forms_offer_only_the_rights_the_user_holds(client, actor, bare_target):
    client.force_login(actor.user)
    page = client.get(company_url("company-user-add")).content.decode()
    assert f'value="{USERS.value}"' in page
    ticket_box = page[page.index(f'value="{TICKETS.value}"') :].split(">", 1)[0]
    assert "disabled" in ticket_box
    assert "you can grant only rights you hold yourself" in page.lower()
    own = client.get(company_url("company-user-edit", actor.pk)).content.decode()
    ticket_box = own[own.index(f'value="{TICKETS.value}"') :].split(">", 1)[0]
    assert "disabled" in ticket_box
    assert "you can remove your own rights, never add any" in own.lower()


@pytest.mark.parametrize("actor", ["users only"], indirect=True)
def test_a_tampered_post_is_refused_with_the_reason(client, actor):
    client.force_login(actor.user)
    before = written()
    response = client.post(
        company_url("company-user-edit", actor.pk), {"permissions": values(ALL_PERMISSIONS)}
    )
    assert response.status_code == 403
    assert "You can remove your own rights, never add any" in response.content.decode()
    assert written() == before


@pytest.mark.parametrize("actor", ["tickets only"], indirect=True)
def test_anyone_may_lower_their_own_rights_and_leave(client, actor, manager):
    client.force_login(actor.user)
    response = client.post(
        company_url("company-user-edit", actor.pk), {"permissions": [], "no_rights": "on"}
    )
    assert response.status_code == 302
    actor.refresh_from_db()
    assert actor.permissions == frozenset()
    response = client.post(company_url("company-user-revoke", actor.pk))
    assert response.url == reverse("provider-home")
    assert not CompanyUser.objects.filter(pk=actor.pk).exists()


@pytest.mark.parametrize("actor", ["tickets only"], indirect=True)
def test_without_the_users_right_nobody_else_can_be_touched(client, actor, bare_target):
    client.force_login(actor.user)
    before = written()
    for method, url in (
        ("get", company_url("company-user-edit", bare_target.pk)),
        ("post", company_url("company-user-edit", bare_target.pk)),
        ("post", company_url("company-user-revoke", bare_target.pk)),
    ):
        assert getattr(client, method)(url).status_code == 403, url
    assert written() == before


# The admin: operators act with Django's model permissions, but raise no rights of their own -----
@pytest.fixture
def operator_member(company, manager, operator):
    """The operator, who is also a company user of `company` holding support_tickets only."""
    return CompanyUser.objects.create(
        company=company, user=operator, permissions={TICKETS}, added_by=manager.user
    )


def admin_rights_url(company_user) -> str:
    return reverse("admin:accounts_companyuser_rights", args=[company_user.pk])


def test_an_operator_sets_anyones_rights_in_the_admin(operator_client, bare_target):
    response = operator_client.post(
        admin_rights_url(bare_target), {"permissions": values(ALL_PERMISSIONS)}
    )
    assert response.status_code == 302
    bare_target.refresh_from_db()
    assert bare_target.permissions == ALL_PERMISSIONS


def test_an_operator_cannot_raise_their_own_membership(operator_client, operator_member):
    before = written()
    response = operator_client.post(
        admin_rights_url(operator_member), {"permissions": values(ALL_PERMISSIONS)}
    )
    assert response.status_code == 403
    assert "You can remove your own rights, never add any" in response.content.decode()
    assert written() == before
    response = operator_client.post(
        admin_rights_url(operator_member), {"permissions": [], "no_rights": "on"}
    )
    assert response.status_code == 302


def test_an_operator_cannot_add_or_invite_themselves(operator_client, operator, other_company):
    url = reverse("admin:accounts_company_add_user", args=[other_company.pk])
    operator.joined_provider_program_at = timezone.now()
    operator.save()
    before = written()
    for extra in ({}, {"invite": "1"}):
        response = operator_client.post(
            url, {"email": operator.email, "permissions": values(ALL_PERMISSIONS), **extra}
        )
        assert response.status_code == 403, response.content.decode()
        assert "Nobody raises their own rights" in response.content.decode()
    assert written() == before


@pytest.fixture
def viewing_staff(db, password):
    """A staff user who may only view company users and invitations in the admin."""
    staff = User.objects.create_user("viewer@example.com", password, is_staff=True)
    staff.user_permissions.set(
        ModelPermission.objects.filter(
            content_type__app_label="accounts",
            codename__in=["view_company", "view_companyuser", "view_invitation"],
        )
    )
    return staff


def test_view_only_staff_change_nothing_in_the_admin(client, viewing_staff, company, bare_target):
    client.force_login(viewing_staff)
    before = written()
    add_url = reverse("admin:accounts_company_add_user", args=[company.pk])
    post = {"email": "colleague@example.com", "permissions": values(ALL_PERMISSIONS)}
    assert client.post(add_url, post).status_code == 403
    assert client.post(admin_rights_url(bare_target), post).status_code == 403
    assert client.get(admin_rights_url(bare_target)).status_code == 403
    assert written() == before
