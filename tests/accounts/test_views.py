import html
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, Company, CompanyUser, Invitation
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.models import AddonResource
from tests.builders import make_provider

pytestmark = pytest.mark.django_db

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def text(response) -> str:
    return html.unescape(response.content.decode())


def company_url(name: str, *args, slug: str = "acme") -> str:
    return reverse(f"accounts:{name}", args=[slug, *args])


class TestAccountPages:
    def test_home_redirects_anonymous_to_login(self, client):
        assert client.get(reverse("accounts:home")).url == reverse("account_login")

    def test_home_redirects_a_person_to_provider_home(self, client, newcomer):
        client.force_login(newcomer)
        assert client.get(reverse("accounts:home")).url == reverse("provider-home")

    # Sign-up, login, logout and passwords: tests/accounts/test_signup.py.


class TestProviderHome:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(reverse("provider-home"))
        assert response.url.startswith(reverse("account_login"))

    def test_join_by_post_only(self, client, newcomer):
        client.force_login(newcomer)
        page = text(client.get(reverse("provider-home")))
        assert "Join the Provider Program" in page
        assert "Create a company" not in page
        assert client.get(reverse("accounts:join-provider-program")).status_code == 405
        client.post(reverse("accounts:join-provider-program"))
        newcomer.refresh_from_db()
        assert newcomer.has_joined_provider_program
        assert "Create a company" in text(client.get(reverse("provider-home")))

    def test_lists_my_companies_only(self, manager_client, other_company):
        page = text(manager_client.get(reverse("provider-home")))
        assert "Acme Add-ons" in page
        assert "Rival Add-ons" not in page

    def test_create_company(self, client, colleague):
        client.force_login(colleague)
        response = client.post(
            reverse("accounts:company-create"), {"name": "Beta Tools", "slug": "beta"}
        )
        company = Company.objects.get(slug="beta")
        assert response.url == company.get_absolute_url()
        assert CompanyUser.objects.get(company=company, user=colleague).permissions == (
            ALL_PERMISSIONS
        )
        assert company.audit_events.get().action == AuditEvent.Action.COMPANY_CREATED

    def test_create_company_needs_the_program(self, client, newcomer):
        client.force_login(newcomer)
        response = client.post(
            reverse("accounts:company-create"), {"name": "Beta Tools", "slug": "beta"}
        )
        assert response.status_code == 403
        assert not Company.objects.exists()

    def test_create_company_with_a_taken_slug_is_a_400(self, client, company, colleague):
        client.force_login(colleague)
        response = client.post(reverse("accounts:company-create"), {"name": "X", "slug": "acme"})
        assert response.status_code == 400
        assert "That short name is taken" in text(response)


class TestCompanyTab:
    def test_lists_users_invitations_and_recent_changes(
        self, manager_client, supporter, pending_invitation
    ):
        response = manager_client.get(company_url("company-users"))
        assert response.status_code == 200
        page = text(response)
        assert page.count("<h1") == 1
        for expected in (
            "manager@example.com",
            "support@example.com",
            "View and respond to support tickets",
            "by manager@example.com",
            "invitee@example.com",
            "Invitation sent",
            "Add a company user",
        ):
            assert expected in page
        assert "style=" not in page and "<script>" not in page

    def test_a_member_without_the_right_sees_no_management(self, supporter_client, manager):
        page = text(supporter_client.get(company_url("company-users")))
        assert "manager@example.com" in page
        assert "Add a company user" not in page
        assert "Revoke" not in page

    def test_anonymous_is_sent_to_login(self, client, company):
        for url in (
            company_url("company-users"),
            company_url("company-user-add"),
            company_url("invitation-create"),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("account_login"))

    def test_a_non_member_gets_404_everywhere(self, client, manager, supporter, other_company):
        client.force_login(other_company.members.get().user)
        invitation = Invitation.objects.create(
            company=manager.company, email="x@example.com", key="k", expires_at=FAR_FUTURE
        )
        for method, url in (
            ("get", company_url("company-users")),
            ("post", company_url("company-user-add")),
            ("post", company_url("invitation-create")),
            ("get", company_url("company-user-edit", supporter.pk)),
            ("post", company_url("company-user-revoke", supporter.pk)),
            ("post", company_url("ticket-notifications")),
            ("post", company_url("invitation-resend", invitation.pk)),
            ("post", company_url("invitation-cancel", invitation.pk)),
        ):
            assert getattr(client, method)(url).status_code == 404, url
        assert CompanyUser.objects.filter(pk=supporter.pk).exists()

    def test_a_member_without_manage_company_users_gets_403(
        self, supporter_client, manager, pending_invitation
    ):
        for method, url in (
            ("get", company_url("company-user-add")),
            ("post", company_url("company-user-add")),
            ("post", company_url("invitation-create")),
            ("get", company_url("company-user-edit", manager.pk)),
            ("post", company_url("company-user-edit", manager.pk)),
            ("get", company_url("company-user-revoke", manager.pk)),
            ("post", company_url("company-user-revoke", manager.pk)),
            ("post", company_url("invitation-resend", pending_invitation.pk)),
            ("post", company_url("invitation-cancel", pending_invitation.pk)),
        ):
            assert getattr(supporter_client, method)(url).status_code == 403, url
        manager.refresh_from_db()
        assert manager.permissions == ALL_PERMISSIONS

    def test_ids_of_another_company_are_404(self, manager_client, other_company_user):
        invitation = Invitation.objects.create(
            company=other_company_user.company,
            email="x@example.com",
            key="k",
            expires_at=FAR_FUTURE,
        )
        for method, url in (
            ("get", company_url("company-user-edit", other_company_user.pk)),
            ("post", company_url("company-user-edit", other_company_user.pk)),
            ("get", company_url("company-user-revoke", other_company_user.pk)),
            ("post", company_url("company-user-revoke", other_company_user.pk)),
            ("post", company_url("invitation-resend", invitation.pk)),
            ("post", company_url("invitation-cancel", invitation.pk)),
        ):
            assert getattr(manager_client, method)(url).status_code == 404, url
        assert CompanyUser.objects.filter(pk=other_company_user.pk).exists()
        invitation.refresh_from_db()
        assert invitation.cancelled_at is None

    def test_list_query_count_does_not_grow_with_rows(self, client, company, manager, password):
        client.force_login(manager.user)

        def add_rows(count: int) -> None:
            start = CompanyUser.objects.count()
            for i in range(start, start + count):
                user = make_provider(f"user{i}@example.com", password)
                CompanyUser.objects.create(company=company, user=user, added_by=manager.user)
                Invitation.objects.create(
                    company=company,
                    email=f"invitee{i}@example.com",
                    invited_by=manager.user,
                    key=str(i),
                    expires_at=FAR_FUTURE,
                )
                AuditEvent.objects.create(
                    company=company, actor=user, action=AuditEvent.Action.USER_ADDED
                )

        def count_queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(company_url("company-users")).status_code == 200
            return len(ctx.captured_queries)

        add_rows(3)
        few = count_queries()
        add_rows(27)
        assert count_queries() == few
        assert few <= 10


class TestAddCompanyUser:
    def test_add_a_provider_with_chosen_permissions(
        self, manager_client, colleague, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = manager_client.post(
                company_url("company-user-add"),
                {"email": "colleague@example.com", "permissions": ["support_tickets"]},
            )
        assert response.status_code == 302
        company_user = CompanyUser.objects.get(user=colleague)
        assert company_user.permissions == {Permission.SUPPORT_TICKETS}
        assert mail.outbox[0].to == ["colleague@example.com"]

    def test_unknown_email_shows_the_exact_message_and_offers_an_invitation(self, manager_client):
        response = manager_client.post(
            company_url("company-user-add"),
            {"email": "stranger@example.com", "permissions": ["support_tickets"]},
        )
        assert response.status_code == 400
        page = text(response)
        assert "stranger@example.com doesn't have a Heroku account associated with it" in page
        invite_url = company_url("invitation-create")
        assert f'formaction="{invite_url}"' in page
        assert not Invitation.objects.exists()

    def test_the_offered_invitation_posts_the_same_data(
        self, manager_client, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = manager_client.post(
                company_url("invitation-create"),
                {"email": "stranger@example.com", "permissions": ["support_tickets"]},
            )
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert invitation.permissions == {Permission.SUPPORT_TICKETS}
        assert mail.outbox[0].to == ["stranger@example.com"]

    def test_adding_a_member_again_is_a_clear_error(self, manager_client, supporter):
        response = manager_client.post(
            company_url("company-user-add"), {"email": "support@example.com", "preset": "support"}
        )
        assert response.status_code == 409
        assert "support@example.com is already a user of Acme Add-ons." in text(response)

    def test_inviting_a_member_is_a_clear_error(self, manager_client, supporter):
        response = manager_client.post(
            company_url("invitation-create"), {"email": "support@example.com", "preset": "support"}
        )
        assert response.status_code == 409
        assert "already a user" in text(response)
        assert not Invitation.objects.exists()

    def test_inviting_an_email_with_an_open_invitation_says_so(
        self, manager_client, pending_invitation
    ):
        response = manager_client.post(
            company_url("invitation-create"), {"email": "invitee@example.com", "preset": "support"}
        )
        assert response.status_code == 409
        assert "already has an open invitation" in text(response)

    @pytest.mark.parametrize(
        "data",
        [{}, {"email": "not-an-email"}, {"email": "a@example.com", "permissions": ["root"]}],
    )
    def test_bad_input_is_a_400_and_writes_nothing(self, manager_client, data):
        for name in ("company-user-add", "invitation-create"):
            response = manager_client.post(company_url(name), data)
            assert response.status_code == 400
        assert CompanyUser.objects.count() == 1
        assert not Invitation.objects.exists()
        assert not AuditEvent.objects.exists()


class TestEditAndRevoke:
    def test_edit_permissions(self, manager_client, supporter):
        url = company_url("company-user-edit", supporter.pk)
        assert manager_client.get(url).status_code == 200
        response = manager_client.post(url, {"permissions": ["oauth_secrets"]})
        assert response.status_code == 302
        supporter.refresh_from_db()
        assert supporter.permissions == {Permission.OAUTH_SECRETS}

    def test_edit_refuses_to_remove_the_last_manager(self, manager_client, manager):
        response = manager_client.post(
            company_url("company-user-edit", manager.pk), {"permissions": ["support_tickets"]}
        )
        assert response.status_code == 409
        assert "last user of Acme Add-ons who can manage company users" in text(response)
        manager.refresh_from_db()
        assert manager.permissions == ALL_PERMISSIONS

    def test_revoke_asks_first_and_says_resources_stay(
        self, manager_client, supporter, resources_installed_by_supporter
    ):
        response = manager_client.get(company_url("company-user-revoke", supporter.pk))
        assert response.status_code == 200
        page = text(response)
        assert "Add-on resources they installed stay provisioned" in page
        assert "(2 installed by this person)" in page
        assert CompanyUser.objects.filter(pk=supporter.pk).exists()

    def test_revoke_keeps_resources_provisioned(
        self, manager_client, supporter, resources_installed_by_supporter
    ):
        response = manager_client.post(company_url("company-user-revoke", supporter.pk))
        assert response.status_code == 302
        assert not CompanyUser.objects.filter(pk=supporter.pk).exists()
        states = set(
            AddonResource.objects.filter(installed_by=supporter.user).values_list(
                "state", flat=True
            )
        )
        assert states == {AddonResource.State.PROVISIONED}
        assert AddonResource.objects.filter(plan__visibility="hidden").provisioned().exists()

    def test_revoke_refuses_the_last_manager(self, manager_client, manager):
        response = manager_client.post(company_url("company-user-revoke", manager.pk))
        assert response.status_code == 409
        assert "last user" in text(response)
        assert CompanyUser.objects.filter(pk=manager.pk).exists()

    def test_a_revoked_user_loses_access_in_every_session(self, company, manager, supporter):
        first, second = Client(), Client()
        first.force_login(supporter.user)
        second.force_login(supporter.user)
        assert first.get(company_url("company-users")).status_code == 200
        assert second.get(company_url("company-users")).status_code == 200

        boss = Client()
        boss.force_login(manager.user)
        assert boss.post(company_url("company-user-revoke", supporter.pk)).status_code == 302

        assert first.get(company_url("company-users")).status_code == 404
        assert second.get(company_url("company-users")).status_code == 404
        assert second.post(company_url("ticket-notifications")).status_code == 404

    def test_a_manager_who_revokes_themself_goes_home(
        self, manager_client, manager, second_manager
    ):
        response = manager_client.post(company_url("company-user-revoke", manager.pk))
        assert response.url == reverse("provider-home")


class TestInvitationActions:
    def test_resend_and_cancel_by_post(self, manager_client, pending_invitation):
        old_key = pending_invitation.key
        assert (
            manager_client.get(company_url("invitation-resend", pending_invitation.pk)).status_code
            == 405
        )
        manager_client.post(company_url("invitation-resend", pending_invitation.pk))
        pending_invitation.refresh_from_db()
        assert pending_invitation.key != old_key
        manager_client.post(company_url("invitation-cancel", pending_invitation.pk))
        pending_invitation.refresh_from_db()
        assert pending_invitation.cancelled_at is not None

    def test_cancelling_twice_is_a_clear_409(self, manager_client, pending_invitation):
        url = company_url("invitation-cancel", pending_invitation.pk)
        manager_client.post(url)
        response = manager_client.post(url)
        assert response.status_code == 409
        assert "Only an open invitation can be cancelled." in text(response)


class TestTicketNotifications:
    def test_each_user_toggles_their_own_setting(self, supporter_client, supporter, manager):
        response = supporter_client.post(company_url("ticket-notifications"), {})
        assert response.status_code == 302
        supporter.refresh_from_db()
        manager.refresh_from_db()
        assert supporter.notify_on_ticket_events is False
        assert manager.notify_on_ticket_events is True
        supporter_client.post(company_url("ticket-notifications"), {"enabled": "on"})
        supporter.refresh_from_db()
        assert supporter.notify_on_ticket_events is True
        assert (
            AuditEvent.objects.filter(
                action=AuditEvent.Action.NOTIFICATIONS_CHANGED, actor=supporter.user
            ).count()
            == 2
        )

    def test_managers_see_every_users_setting(self, manager_client, supporter):
        supporter.notify_on_ticket_events = False
        supporter.save()
        page = text(manager_client.get(company_url("company-users")))
        assert "Off" in page and "On" in page


@pytest.mark.parametrize("pk", [0, 2**63, 10**30])
def test_out_of_range_ids_are_404_not_500(manager_client, pk):
    for name in ("company-user-edit", "company-user-revoke"):
        assert manager_client.get(company_url(name, pk)).status_code == 404
    for name in ("invitation-resend", "invitation-cancel"):
        assert manager_client.post(company_url(name, pk)).status_code == 404


def test_admin_views_with_non_numeric_ids_are_404(operator_client):
    for url in (
        "/admin/accounts/company/abc/add-company-user/",
        "/admin/accounts/companyuser/x/revoke/",
    ):
        assert operator_client.get(url).status_code in (302, 404)
