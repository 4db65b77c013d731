"""An e-mail address counts as a person's, "a Heroku account associated with it", only once it is
proven. Someone who signs up with an address they do not own cannot join the Provider Program, be
added as a company user, accept an invitation or be named a company's first manager.
"""

import html

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts import selectors, services
from accounts.exceptions import (
    NoProviderAccountError,
    NotInProviderProgramError,
    UnverifiedEmailError,
)
from accounts.models import AuditEvent, Company, CompanyUser, Notification
from accounts.permissions import Permission
from tests.builders import make_provider

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def squatter(unverified_person):
    """Someone who signed up as colleague@example.com without owning it, and joined the program
    before verification was required (an account from before the upgrade)."""
    unverified_person.email = "colleague@example.com"
    unverified_person.save()
    EmailAddress.objects.filter(user=unverified_person).update(email="colleague@example.com")
    unverified_person.joined_provider_program_at = unverified_person.date_joined
    unverified_person.save()
    return unverified_person


class TestSelectors:
    def test_a_verified_provider_is_found_by_any_form_of_the_address(self, colleague):
        assert selectors.verified_provider("  Colleague@Example.COM ") == colleague

    def test_an_unverified_address_is_no_provider(self, squatter):
        assert selectors.verified_provider(squatter.email) is None
        assert not selectors.has_verified_email(squatter)

    def test_a_verified_person_outside_the_program_is_no_provider(self, newcomer):
        assert selectors.has_verified_email(newcomer)
        assert selectors.verified_provider(newcomer.email) is None

    def test_a_verified_other_address_does_not_count(self, colleague):
        """Only the person's current address counts: an address changed by hand (in the admin)
        must be proven again."""
        colleague.email = "renamed@example.com"
        colleague.save()
        assert not selectors.has_verified_email(colleague)


class TestServices:
    def test_an_unverified_person_cannot_join_the_program(self, unverified_person):
        with pytest.raises(UnverifiedEmailError, match="Verify your e-mail address"):
            services.join_provider_program(user=unverified_person)
        unverified_person.refresh_from_db()
        assert not unverified_person.has_joined_provider_program

    def test_a_verified_person_joins(self, newcomer):
        services.join_provider_program(user=newcomer)
        newcomer.refresh_from_db()
        assert newcomer.has_joined_provider_program

    def test_an_unverified_address_cannot_be_added(self, company, manager, squatter):
        with pytest.raises(NoProviderAccountError) as refused:
            services.add_company_user(
                company=company, email=squatter.email, actor=services.CompanyUserActor(manager)
            )
        assert str(refused.value) == (
            "colleague@example.com doesn't have a Heroku account associated with it"
        )
        assert not CompanyUser.objects.filter(user=squatter).exists()
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.USER_ADDED).exists()
        assert not Notification.objects.exists()

    def test_an_unverified_person_cannot_accept_an_invitation(
        self, pending_invitation, invitation_token, unverified_person
    ):
        unverified_person.email = pending_invitation.email
        unverified_person.joined_provider_program_at = unverified_person.date_joined
        unverified_person.save()
        with pytest.raises(UnverifiedEmailError):
            services.accept_invitation(token=invitation_token, user=unverified_person)
        assert not CompanyUser.objects.filter(user=unverified_person).exists()
        pending_invitation.refresh_from_db()
        assert pending_invitation.accepted_at is None

    def test_an_unverified_person_cannot_be_a_first_manager(self, operator, squatter):
        with pytest.raises(NoProviderAccountError):
            services.create_company(
                name="Beta", slug="beta", created_by=operator, first_manager=squatter
            )
        assert not Company.objects.filter(slug="beta").exists()

    def test_an_unverified_person_cannot_create_a_company(self, squatter):
        with pytest.raises(UnverifiedEmailError):
            services.create_company(name="Beta", slug="beta", created_by=squatter)
        assert not Company.objects.filter(slug="beta").exists()

    def test_once_verified_the_same_person_can_be_added(self, company, manager, squatter):
        EmailAddress.objects.filter(user=squatter).update(verified=True)
        company_user = services.add_company_user(
            company=company, email=squatter.email, actor=services.CompanyUserActor(manager)
        )
        assert company_user.user == squatter

    def test_joining_still_needs_the_program_for_invitations(self, invitation_token, password):
        invitee = make_provider("invitee@example.com", password, joined=False)
        with pytest.raises(NotInProviderProgramError):
            services.accept_invitation(token=invitation_token, user=invitee)


class TestPages:
    """The pages say what to do: verify first, and how to get a new link."""

    def test_provider_home_asks_an_unverified_person_to_verify(self, client, unverified_person):
        client.force_login(unverified_person)
        page = text(client.get(reverse("provider-home")))
        assert "Verify your e-mail address" in page
        assert 'name="action_send"' in page  # "Send the link again", a POST to allauth's page
        assert "Join the Provider Program" not in page

    def test_joining_unverified_is_a_403_that_says_what_to_do(self, client, unverified_person):
        client.force_login(unverified_person)
        response = client.post(reverse("accounts:join-provider-program"))
        assert response.status_code == 403
        assert "Verify your e-mail address unverified@example.com first" in text(response)
        assert 'name="action_send"' in text(response)
        unverified_person.refresh_from_db()
        assert not unverified_person.has_joined_provider_program

    def test_the_resend_button_sends_a_new_link(self, client, unverified_person, mailoutbox):
        client.force_login(unverified_person)
        response = client.post(
            reverse("account_email"), {"email": unverified_person.email, "action_send": ""}
        )
        assert response.status_code == 302
        assert [m.to for m in mailoutbox] == [[unverified_person.email]]
        assert "/accounts/confirm-email/" in mailoutbox[0].body

    def test_accepting_unverified_is_a_403_that_says_what_to_do(
        self, client, pending_invitation, invitation_token, unverified_person
    ):
        unverified_person.email = pending_invitation.email
        unverified_person.joined_provider_program_at = unverified_person.date_joined
        unverified_person.save()
        client.force_login(unverified_person)
        url = reverse("accounts:invitation-accept", args=[invitation_token])
        assert "Verify your e-mail address" in text(client.get(url))
        response = client.post(url)
        assert response.status_code == 403
        assert "Verify your e-mail address invitee@example.com first" in text(response)
        assert not CompanyUser.objects.filter(user=unverified_person).exists()

    def test_the_company_tab_refuses_an_unverified_address_with_the_exact_message(
        self, manager_client, squatter
    ):
        response = manager_client.post(
            reverse("accounts:company-user-add", args=["acme"]),
            {"email": squatter.email, "permissions": [Permission.SUPPORT_TICKETS.value]},
        )
        assert response.status_code == 400
        assert "colleague@example.com doesn't have a Heroku account associated with it" in text(
            response
        )
        assert not CompanyUser.objects.filter(user=squatter).exists()
