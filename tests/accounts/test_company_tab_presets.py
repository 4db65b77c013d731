"""The Company tab: presets of rights, no silent zero-right members, no forbidden offers, and
the invitation's link and expiry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import CompanyUser, Invitation
from accounts.permissions import PRESET_RIGHTS, Permission, Preset

pytestmark = pytest.mark.django_db


def company_url(name, *args):
    return reverse(f"accounts:{name}", args=["acme", *args])


def test_the_add_form_defaults_to_the_support_preset_and_says_what_it_grants(manager_client):
    form = manager_client.get(company_url("company-users")).context["add_form"]

    assert form["preset"].initial == "support"
    assert "answer support tickets and nothing else" in str(form["preset"].help_text)
    assert not form["permissions"].initial


def test_a_preset_gives_its_rights(manager_client, colleague):
    response = manager_client.post(
        company_url("company-user-add"), {"email": colleague.email, "preset": "developer"}
    )

    assert response.status_code == 302
    member = CompanyUser.objects.get(user=colleague)
    assert member.permissions == PRESET_RIGHTS[Preset.DEVELOPER]


def test_presets_the_user_cannot_grant_are_not_offered(client, company, manager, colleague):
    support_manager = CompanyUser.objects.create(
        company=company,
        user=colleague,
        permissions={Permission.MANAGE_COMPANY_USERS, Permission.SUPPORT_TICKETS},
    )
    client.force_login(support_manager.user)

    form = client.get(company_url("company-users")).context["add_form"]

    assert [value for value, _ in form.fields["preset"].choices] == ["support", "custom"]


def test_no_silent_zero_right_members(manager_client, colleague):
    data = {"email": colleague.email, "preset": "custom"}

    response = manager_client.post(company_url("company-user-add"), data)

    assert response.status_code == 400
    assert "Choose at least one right" in response.content.decode()
    assert not CompanyUser.objects.filter(user=colleague).exists()

    response = manager_client.post(company_url("company-user-add"), {**data, "no_rights": "on"})

    assert response.status_code == 302
    assert CompanyUser.objects.get(user=colleague).permissions == frozenset()


def test_the_last_manager_is_not_offered_a_revoke_they_cannot_do(manager_client, manager):
    response = manager_client.get(company_url("company-user-revoke", manager.pk))

    html = response.content.decode()
    assert "is the last user" in html
    assert "Yes, revoke" not in html


def test_the_inviter_sees_the_link_once_after_inviting_and_on_the_row(manager_client):
    response = manager_client.post(
        company_url("invitation-create"),
        {"email": "new@example.org", "preset": "support", "expires_in_days": "3"},
        follow=True,
    )

    invitation = Invitation.objects.get(email="new@example.org")
    html = response.content.decode()
    assert "/invitations/" in html
    link = response.context["invitations"][0].link
    assert link in html and html.count(link) == 2  # the message, and the row
    expected = timezone.now() + timedelta(days=3)
    assert abs(invitation.expires_at - expected) < timedelta(minutes=1)


def test_an_expiry_beyond_what_the_form_offers_is_refused(manager_client):
    response = manager_client.post(
        company_url("invitation-create"),
        {"email": "new@example.org", "preset": "support", "expires_in_days": "365"},
    )

    assert response.status_code == 400
    assert not Invitation.objects.exists()
