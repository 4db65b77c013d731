import html
from datetime import UTC, datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, Company, CompanyUser, Invitation, Notification
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.models import Addon, AddonResource
from tests.builders import make_provider

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# The read-only inlines of the company page post their management forms.
COMPANY_INLINES = {
    "members-TOTAL_FORMS": 0,
    "members-INITIAL_FORMS": 0,
    "invitations-TOTAL_FORMS": 0,
    "invitations-INITIAL_FORMS": 0,
}


class TestCompanyAdmin:
    add_url = staticmethod(lambda: reverse("admin:accounts_company_add"))

    @staticmethod
    def change_url(company) -> str:
        return reverse("admin:accounts_company_change", args=[company.pk])

    @staticmethod
    def delete_url(company) -> str:
        return reverse("admin:accounts_company_delete", args=[company.pk])

    def test_adding_a_company_names_its_first_manager(self, operator_client, operator, colleague):
        response = operator_client.post(
            self.add_url(),
            {"name": "Beta", "slug": "beta", "first_manager": "Colleague@Example.com"},
        )
        assert response.status_code == 302, text(response)
        company = Company.objects.get(slug="beta")
        first = CompanyUser.objects.get(company=company)
        assert (first.user, first.added_by, first.permissions) == (
            colleague,
            operator,
            ALL_PERMISSIONS,
        )
        event = AuditEvent.objects.get(company=company)
        assert (event.action, event.actor, event.target) == (
            AuditEvent.Action.COMPANY_CREATED,
            operator,
            colleague.email,
        )
        assert LogEntry.objects.get().action_flag == ADDITION

    @pytest.mark.parametrize("email", ["stranger@example.com", "newcomer@example.com"])
    def test_a_first_manager_without_a_provider_account_is_a_form_error(
        self, operator_client, newcomer, email
    ):
        response = operator_client.post(
            self.add_url(), {"name": "Beta", "slug": "beta", "first_manager": email}
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert errors == {
            "first_manager": [f"{email} doesn't have a Heroku account associated with it"]
        }
        assert 'value="Beta"' in text(response)  # what the operator typed is kept
        assert not Company.objects.exists() and not AuditEvent.objects.exists()
        assert not LogEntry.objects.exists()

    def test_a_taken_slug_is_a_form_error(self, operator_client, company, colleague):
        response = operator_client.post(
            self.add_url(), {"name": "Acme 2", "slug": "acme", "first_manager": colleague.email}
        )
        assert response.status_code == 200
        assert list(response.context["adminform"].form.errors) == ["slug"]
        assert Company.objects.count() == 1
        assert not CompanyUser.objects.filter(user=colleague).exists()

    def test_the_add_form_asks_for_the_first_manager_and_shows_no_inlines(self, operator_client):
        page = text(operator_client.get(self.add_url()))
        assert 'name="first_manager"' in page
        assert "members-TOTAL_FORMS" not in page

    def test_a_rename_is_audited(self, operator_client, operator, company, manager):
        response = operator_client.post(
            self.change_url(company), {"name": "Acme Inc.", "slug": "acme-inc", **COMPANY_INLINES}
        )
        assert response.status_code == 302, text(response)
        company.refresh_from_db()
        assert company.slug == "acme-inc"
        event = AuditEvent.objects.get(action=AuditEvent.Action.COMPANY_RENAMED)
        assert event.actor == operator
        assert event.details["after"] == {"name": "Acme Inc.", "slug": "acme-inc"}

    def test_saving_without_a_change_audits_nothing(self, operator_client, company, manager):
        response = operator_client.post(
            self.change_url(company), {"name": company.name, "slug": "acme", **COMPANY_INLINES}
        )
        assert response.status_code == 302
        assert not AuditEvent.objects.exists()

    def test_a_rename_to_a_taken_slug_is_a_form_error(
        self, operator_client, company, manager, other_company
    ):
        response = operator_client.post(
            self.change_url(company), {"name": "Acme", "slug": "rival", **COMPANY_INLINES}
        )
        assert response.status_code == 200
        assert list(response.context["adminform"].form.errors) == ["slug"]
        company.refresh_from_db()
        assert company.slug == "acme"
        assert not AuditEvent.objects.exists()

    def test_delete_goes_through_the_service_and_is_recorded(
        self,
        operator_client,
        operator,
        company,
        manager,
        pending_invitation,
        caplog,
        django_capture_on_commit_callbacks,
    ):
        caplog.set_level("INFO", logger="accounts.services.companies")
        page = text(operator_client.get(self.delete_url(company)))
        assert "manager@example.com" in page and "invitee@example.com" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = operator_client.post(self.delete_url(company), {"post": "yes"})
        assert response.status_code == 302
        assert not Company.objects.exists() and not CompanyUser.objects.exists()
        entry = LogEntry.objects.get()
        assert (entry.action_flag, entry.object_repr, entry.user) == (
            DELETION,
            "Acme Add-ons",
            operator,
        )
        assert caplog.messages[0].startswith("Company 'Acme Add-ons' (slug acme")
        assert "deleted by operator@example.com" in caplog.messages[0]

    def test_a_company_whose_addon_has_resources_cannot_be_deleted(
        self, operator_client, company, resources_installed_by_supporter
    ):
        response = operator_client.get(self.delete_url(company))
        assert response.status_code == 200
        page = text(response)
        assert "Cannot delete company" in page
        assert "resource-basic" in page  # the protected resources are named
        response = operator_client.post(self.delete_url(company), {"post": "yes"})
        assert response.status_code == 200
        assert Company.objects.filter(pk=company.pk).exists()

    def test_a_refusal_at_delete_time_is_a_message(
        self, operator_client, company, resources_installed_by_supporter, monkeypatch
    ):
        # A resource provisioned between the admin's check and the delete: only the service
        # sees it.
        from accounts.admin.companies import CompanyAdmin

        def nothing_protected(self, objs, request):
            return [], {}, set(), []

        monkeypatch.setattr(CompanyAdmin, "get_deleted_objects", nothing_protected)
        response = operator_client.post(self.delete_url(company), {"post": "yes"}, follow=True)
        assert response.status_code == 200
        assert "Acme Add-ons cannot be deleted: it still has 2 addon resources." in text(response)
        assert Company.objects.filter(pk=company.pk).exists()
        assert not LogEntry.objects.exists()

    def test_the_changelist_offers_no_bulk_delete(self, operator_client, company):
        response = operator_client.get(reverse("admin:accounts_company_changelist"))
        assert 'value="delete_selected"' not in text(response)


class TestAddCompanyUserView:
    def url(self, company) -> str:
        return reverse("admin:accounts_company_add_user", args=[company.pk])

    def test_company_page_links_to_it(self, operator_client, company, manager):
        page = text(
            operator_client.get(reverse("admin:accounts_company_change", args=[company.pk]))
        )
        assert self.url(company) in page
        assert "manager@example.com" in page

    def test_adds_through_the_service(
        self,
        operator_client,
        operator,
        company,
        manager,
        colleague,
        django_capture_on_commit_callbacks,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = operator_client.post(
                self.url(company),
                {"email": colleague.email, "permissions": ["support_tickets"]},
            )
        assert response.status_code == 302
        company_user = CompanyUser.objects.get(user=colleague)
        assert company_user.permissions == {Permission.SUPPORT_TICKETS}
        assert company_user.added_by == operator
        assert AuditEvent.objects.get(action=AuditEvent.Action.USER_ADDED).actor == operator
        assert mail.outbox[0].to == [colleague.email]

    def test_unknown_email_shows_the_exact_message_and_offers_to_invite(
        self, operator_client, company, manager
    ):
        data = {"email": "stranger@example.com", "permissions": ["oauth_secrets"]}
        response = operator_client.post(self.url(company), data)
        assert response.status_code == 400
        page = text(response)
        assert "stranger@example.com doesn't have a Heroku account associated with it" in page
        assert 'name="invite"' in page
        response = operator_client.post(self.url(company), {**data, "invite": "1"})
        assert response.status_code == 302
        invitation = Invitation.objects.get()
        assert invitation.permissions == {Permission.OAUTH_SECRETS}
        assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_SENT).exists()

    def test_already_a_member(self, operator_client, company, manager):
        response = operator_client.post(
            self.url(company), {"email": manager.user.email, "preset": "support"}
        )
        assert response.status_code == 400
        assert "already a user" in text(response)

    def test_staff_without_rights_is_refused(self, client, company, password):
        from accounts.models import User

        staff = User.objects.create_user("staff@example.com", password, is_staff=True)
        client.force_login(staff)
        assert client.get(self.url(company)).status_code == 403

    def test_unknown_company_is_404(self, operator_client):
        assert (
            operator_client.get(reverse("admin:accounts_company_add_user", args=[999])).status_code
            == 404
        )


class TestRevoke:
    changelist = staticmethod(lambda: reverse("admin:accounts_companyuser_changelist"))

    def test_action_asks_for_confirmation_then_revokes(
        self, operator_client, operator, supporter, resources_installed_by_supporter
    ):
        data = {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [supporter.pk]}
        response = operator_client.post(self.changelist(), data)
        assert response.status_code == 200
        assert "stay provisioned" in text(response)
        assert CompanyUser.objects.filter(pk=supporter.pk).exists()

        response = operator_client.post(self.changelist(), {**data, "confirm": "yes"})
        assert response.status_code == 302
        assert not CompanyUser.objects.filter(pk=supporter.pk).exists()
        event = AuditEvent.objects.get(action=AuditEvent.Action.USER_REVOKED)
        assert event.actor == operator
        assert set(
            AddonResource.objects.filter(installed_by=supporter.user).values_list(
                "state", flat=True
            )
        ) == {AddonResource.State.PROVISIONED}

    def test_action_refuses_the_last_manager(self, operator_client, manager, supporter):
        data = {
            "action": "revoke_selected",
            ACTION_CHECKBOX_NAME: [manager.pk, supporter.pk],
            "confirm": "yes",
        }
        response = operator_client.post(self.changelist(), data, follow=True)
        page = text(response)
        assert "is the last user of Acme Add-ons who can manage company users" in page
        assert CompanyUser.objects.filter(pk=manager.pk).exists()
        assert not CompanyUser.objects.filter(pk=supporter.pk).exists()

    def test_revoke_view_on_one_company_user(self, operator_client, supporter):
        url = reverse("admin:accounts_companyuser_revoke", args=[supporter.pk])
        assert operator_client.get(url).status_code == 200
        assert CompanyUser.objects.filter(pk=supporter.pk).exists()
        response = operator_client.post(url, {"confirm": "yes"})
        assert response.status_code == 302
        assert not CompanyUser.objects.filter(pk=supporter.pk).exists()

    def test_revoke_view_refuses_the_last_manager(self, operator_client, manager):
        url = reverse("admin:accounts_companyuser_revoke", args=[manager.pk])
        operator_client.post(url, {"confirm": "yes"})
        assert CompanyUser.objects.filter(pk=manager.pk).exists()

    def test_no_way_around_the_services(self, operator_client, supporter):
        assert operator_client.get(
            reverse("admin:accounts_companyuser_delete", args=[supporter.pk])
        ).status_code in (302, 403)
        assert operator_client.get(reverse("admin:accounts_companyuser_add")).status_code == 403
        response = operator_client.post(
            reverse("admin:accounts_companyuser_change", args=[supporter.pk]),
            {"permissions": ["manage_company_users"]},
        )
        assert response.status_code == 403
        supporter.refresh_from_db()
        assert supporter.permissions == {Permission.SUPPORT_TICKETS}
        assert CompanyUser.objects.filter(pk=supporter.pk).exists()


class TestInvitationAdmin:
    def test_resend_and_cancel_actions(self, operator_client, pending_invitation):
        url = reverse("admin:accounts_invitation_changelist")
        old_key = pending_invitation.key
        operator_client.post(
            url, {"action": "resend_selected", ACTION_CHECKBOX_NAME: [pending_invitation.pk]}
        )
        pending_invitation.refresh_from_db()
        assert pending_invitation.key != old_key
        operator_client.post(
            url, {"action": "cancel_selected", ACTION_CHECKBOX_NAME: [pending_invitation.pk]}
        )
        pending_invitation.refresh_from_db()
        assert pending_invitation.cancelled_at is not None
        assert old_key not in text(operator_client.get(url))


class TestReadOnlyLists:
    def test_audit_events_cannot_be_added_changed_or_deleted(self, operator_client, manager):
        event = AuditEvent.objects.create(
            company=manager.company, action=AuditEvent.Action.USER_ADDED, target="x@example.com"
        )
        assert operator_client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
        assert operator_client.get(
            reverse("admin:accounts_auditevent_delete", args=[event.pk])
        ).status_code in (302, 403)
        operator_client.post(
            reverse("admin:accounts_auditevent_change", args=[event.pk]), {"target": "changed"}
        )
        event.refresh_from_db()
        assert event.target == "x@example.com"

    def test_notification_list_shows_status_attempts_and_error(self, operator_client):
        Notification.objects.create(
            email="a@example.com",
            kind="k",
            dedupe_key="d",
            subject="s",
            body_text="b",
            attempts=3,
            last_error="SMTPException: down",
        )
        page = text(operator_client.get(reverse("admin:accounts_notification_changelist")))
        assert "SMTPException: down" in page
        assert operator_client.get(reverse("admin:accounts_notification_add")).status_code == 403


class TestListQueryCounts:
    def test_company_changelist(self, operator_client, password):
        def add_companies(start: int, count: int) -> None:
            for i in range(start, start + count):
                company = Company.objects.create(name=f"Company {i}", slug=f"c{i}")
                user = make_provider(f"u{i}@example.com", password)
                CompanyUser.objects.create(company=company, user=user)

        url = reverse("admin:accounts_company_changelist")
        add_companies(0, 3)
        few = count_queries(operator_client, url)
        add_companies(3, 27)
        assert count_queries(operator_client, url) == few

    def test_audit_event_changelist(self, operator_client, operator, company):
        def add_events(count: int) -> None:
            for i in range(count):
                other = Company.objects.create(name=f"C{i}-{count}", slug=f"c{i}-{count}")
                AuditEvent.objects.create(
                    company=other, actor=operator, action=AuditEvent.Action.USER_ADDED
                )

        url = reverse("admin:accounts_auditevent_changelist")
        add_events(3)
        few = count_queries(operator_client, url)
        add_events(27)
        assert count_queries(operator_client, url) == few

    def test_company_user_changelist(self, operator_client, company, manager, password):
        def add_users(start: int, count: int) -> None:
            for i in range(start, start + count):
                user = make_provider(f"u{i}@example.com", password)
                CompanyUser.objects.create(company=company, user=user, added_by=manager.user)

        url = reverse("admin:accounts_companyuser_changelist")
        add_users(0, 3)
        few = count_queries(operator_client, url)
        add_users(3, 27)
        assert count_queries(operator_client, url) == few

    def test_company_change_page_with_its_inlines(
        self, operator_client, company, manager, password
    ):
        def add_rows(start: int, count: int) -> None:
            for i in range(start, start + count):
                user = make_provider(f"u{i}@example.com", password)
                CompanyUser.objects.create(company=company, user=user, added_by=manager.user)
                Invitation.objects.create(
                    company=company,
                    email=f"i{i}@example.com",
                    invited_by=manager.user,
                    key=str(i),
                    expires_at=datetime(2100, 1, 1, tzinfo=UTC),
                )

        url = reverse("admin:accounts_company_change", args=[company.pk])
        add_rows(0, 3)
        few = count_queries(operator_client, url)
        add_rows(3, 27)
        assert count_queries(operator_client, url) == few


class TestOtherAdmins:
    def test_user_admin_searches_by_email_and_filters_joined(self, operator_client, provider):
        url = reverse("admin:accounts_user_changelist")
        assert "manager@example.com" in text(operator_client.get(url, {"q": "manager@"}))
        response = operator_client.get(url, {"joined_provider_program_at__isempty": "0"})
        assert response.status_code == 200
        assert "manager@example.com" in text(response)

    def test_a_company_user_cannot_be_deleted_with_their_account(
        self, operator_client, manager, supporter
    ):
        """Deleting an account deletes its memberships: the last-manager rule and the audit
        would be skipped, so the admin refuses it for anyone who is a company user."""
        url = reverse("admin:accounts_user_delete", args=[manager.user.pk])
        response = operator_client.get(url)
        assert "Cannot delete user" in text(response)
        assert operator_client.post(url, {"post": "yes"}).status_code == 403
        bulk = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [supporter.user.pk]}
        changelist = reverse("admin:accounts_user_changelist")
        assert "Cannot delete user" in text(operator_client.post(changelist, bulk))
        assert operator_client.post(changelist, {**bulk, "post": "yes"}).status_code == 403
        assert CompanyUser.objects.count() == 2

    def test_user_admin_add(self, operator_client):
        response = operator_client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "Ops@Example.com",
                "usable_password": "true",
                "password1": "a-long-enough-passphrase",
                "password2": "a-long-enough-passphrase",
            },
        )
        assert response.status_code == 302
        from accounts.models import User

        assert User.objects.filter(email="ops@example.com").exists()

    def test_addon_admin_never_shows_secrets(self, operator_client, addon, hidden_plan):
        page = text(operator_client.get(reverse("admin:addons_addon_change", args=[addon.pk])))
        assert addon.api_password not in page
        assert addon.sso_salt not in page
        assert hidden_plan.name in page  # the plan inline
        assert addon.oauth_client_secret not in page
        assert operator_client.get(reverse("admin:addons_plan_changelist")).status_code == 200
        assert not Addon.objects.filter(pk=addon.pk, name="").exists()
