"""An invitation is only as good as its sender: acceptance re-checks that they could still send it.

A manager invites an address they control with every right, then is revoked (or loses rights):
the invitation must not make anyone a company user. The invitee is told why and what to do; the
invitation is left as it is (a refused acceptance writes nothing), and the Company tab marks it
so that a manager cancels it and sends a new one.
"""

import html

import pytest
from django.contrib.auth.models import Permission as ModelPermission
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.exceptions import InvitationError, SenderCannotGrantError
from accounts.models import AuditEvent, CompanyUser, Invitation, Notification, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from tests.builders import make_provider

pytestmark = pytest.mark.django_db

INVITEE = "invitee@example.com"


def text(response) -> str:
    return html.unescape(response.content.decode())


def written() -> dict:
    return {
        "company users": sorted(CompanyUser.objects.values_list("pk", "permissions")),
        "invitations": sorted(
            Invitation.objects.values_list("pk", "accepted_at", "cancelled_at", "key")
        ),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "mail": len(mail.outbox),
    }


@pytest.fixture
def inviter(company, manager, password):
    """A second manager of `company`, holding every right, who sends the invitation."""
    return CompanyUser.objects.create(
        company=company, user=make_provider("inviter@example.com", password), added_by=manager.user
    )


@pytest.fixture
def every_right_invitation(company, inviter):
    """An invitation of INVITEE with every right, sent by `inviter`."""
    return services.invite_company_user(
        company=company,
        email=INVITEE,
        permissions=ALL_PERMISSIONS,
        actor=services.CompanyUserActor(inviter),
    )


def token_of(invitation) -> str:
    return services.make_invitation_token(invitation)


def accept_url(invitation) -> str:
    return reverse("accounts:invitation-accept", args=[token_of(invitation)])


def revoke(inviter, manager):
    services.revoke_company_user(company_user=inviter, actor=services.CompanyUserActor(manager))


def lower(inviter, manager):
    services.set_company_user_permissions(
        company_user=inviter,
        permissions=ALL_PERMISSIONS - {Permission.OAUTH_SECRETS},
        actor=services.CompanyUserActor(manager),
    )


def lower_themselves(inviter, manager):
    services.set_company_user_permissions(
        company_user=inviter,
        permissions=ALL_PERMISSIONS - {Permission.MANAGE_COMPANY_USERS},
        actor=services.CompanyUserActor(inviter),
    )


def delete_account(inviter, manager):
    user = inviter.user
    CompanyUser.objects.filter(pk=inviter.pk).delete()
    user.delete()


WHAT_HAPPENED = {
    "revoked": (revoke, "is no longer a user of Acme Add-ons"),
    "lost a right it grants": (lower, "can no longer grant the rights it offers"),
    "stopped managing users": (lower_themselves, "can no longer grant the rights it offers"),
    "account deleted": (delete_account, "no longer has an account"),
}


@pytest.mark.parametrize("what", WHAT_HAPPENED)
def test_the_invitee_is_refused_and_told_what_to_do(
    client, what, every_right_invitation, inviter, manager, password
):
    change, reason = WHAT_HAPPENED[what]
    change(inviter, manager)
    invitee = make_provider(INVITEE, password)
    client.force_login(invitee)
    url = accept_url(every_right_invitation)
    before = written()

    for response in (client.get(url), client.post(url)):
        assert response.status_code == 403
        page = text(response)
        assert reason in page
        assert "Ask a user of Acme Add-ons who manages company users to send you a new" in page
    assert written() == before
    assert not CompanyUser.objects.filter(user=invitee).exists()
    every_right_invitation.refresh_from_db()
    assert every_right_invitation.state == Invitation.State.PENDING


def test_a_sender_who_still_may_is_accepted(client, every_right_invitation, inviter, password):
    client.force_login(make_provider(INVITEE, password))
    assert client.post(accept_url(every_right_invitation)).status_code == 302
    assert CompanyUser.objects.get(user__email=INVITEE).permissions == ALL_PERMISSIONS


def test_a_lowered_sender_still_backs_what_they_hold(company, inviter, manager, password):
    invitation = services.invite_company_user(
        company=company,
        email=INVITEE,
        permissions={Permission.SUPPORT_TICKETS},
        actor=services.CompanyUserActor(inviter),
    )
    lower(inviter, manager)  # takes oauth_secrets, which the invitation does not grant
    added = services.accept_invitation(token=token_of(invitation), user=make_provider(INVITEE, "x"))
    assert added.permissions == {Permission.SUPPORT_TICKETS}


def test_the_company_tab_marks_it_and_resending_is_refused(
    manager_client, every_right_invitation, inviter, manager
):
    revoke(inviter, manager)
    page = text(manager_client.get(reverse("accounts:company-users", args=["acme"])))
    assert "Can no longer be accepted" in page
    before = written()
    response = manager_client.post(
        reverse("accounts:invitation-resend", args=["acme", every_right_invitation.pk])
    )
    assert response.status_code == 409
    assert "is no longer a user of Acme Add-ons" in text(response)
    assert written() == before
    response = manager_client.post(
        reverse("accounts:invitation-cancel", args=["acme", every_right_invitation.pk])
    )
    assert response.status_code == 302


# Invitations sent by operators in the admin ----------------------------------------------------
@pytest.fixture
def staff_operator(db, password):
    """A staff user (not a superuser) who may add company users in the admin."""
    staff = User.objects.create_user("ops@example.com", password, is_staff=True)
    staff.user_permissions.set(
        ModelPermission.objects.filter(
            content_type__app_label="accounts", codename__in=["add_companyuser", "view_company"]
        )
    )
    return staff


@pytest.fixture
def operator_invitation(company, manager, staff_operator):
    return services.invite_company_user(
        company=company,
        email=INVITEE,
        permissions=ALL_PERMISSIONS,
        actor=services.OperatorActor(staff_operator),
    )


def test_an_operators_invitation_records_the_capacity(operator_invitation, staff_operator):
    assert operator_invitation.invited_by == staff_operator
    assert operator_invitation.invited_as == Invitation.SentAs.OPERATOR


def test_an_operators_invitation_is_accepted_while_they_may(operator_invitation, password):
    added = services.accept_invitation(
        token=token_of(operator_invitation), user=make_provider(INVITEE, password)
    )
    assert added.permissions == ALL_PERMISSIONS


def remove_permission(staff):
    staff.user_permissions.remove(
        ModelPermission.objects.get(content_type__app_label="accounts", codename="add_companyuser")
    )


def deactivate(staff):
    staff.is_active = False
    staff.save()


def demote(staff):
    staff.is_staff = False
    staff.save()


@pytest.mark.parametrize("change", [remove_permission, deactivate, demote])
def test_an_operators_invitation_needs_them_still_to_be_one(
    change, operator_invitation, staff_operator, password
):
    change(staff_operator)
    invitee = make_provider(INVITEE, password)
    before = written()
    with pytest.raises(SenderCannotGrantError, match="may no longer add company users"):
        services.accept_invitation(token=token_of(operator_invitation), user=invitee)
    assert written() == before


def test_an_operator_who_is_also_a_company_user_is_checked_as_an_operator(
    company, manager, staff_operator, password
):
    """The capacity is recorded, not guessed: an operator's invitation is theirs as an operator,
    even if they also hold a (smaller) membership of the company."""
    CompanyUser.objects.create(
        company=company, user=staff_operator, permissions={Permission.SUPPORT_TICKETS}
    )
    invitation = services.invite_company_user(
        company=company,
        email=INVITEE,
        permissions=ALL_PERMISSIONS,
        actor=services.OperatorActor(staff_operator),
    )
    added = services.accept_invitation(token=token_of(invitation), user=make_provider(INVITEE, "x"))
    assert added.permissions == ALL_PERMISSIONS


def test_an_invitation_error_is_what_views_expect(every_right_invitation, inviter, manager):
    revoke(inviter, manager)
    with pytest.raises(InvitationError):
        services.get_invitation_for_token(token_of(every_right_invitation))
