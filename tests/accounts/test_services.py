import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.exceptions import (
    AlreadyMemberError,
    CompanyInUseError,
    InvalidInvitationLinkError,
    InvitationError,
    InvitationForAnotherEmailError,
    LastManagerError,
    NoProviderAccountError,
    NotInProviderProgramError,
    NotPermittedError,
)
from accounts.models import AuditEvent, Company, CompanyUser, Invitation, Notification
from accounts.permissions import ALL_PERMISSIONS, Permission
from accounts.services import CompanyUserActor
from addons.models import Addon, AddonResource

pytestmark = pytest.mark.django_db


def actions(company) -> list[str]:
    return list(AuditEvent.objects.filter(company=company).values_list("action", flat=True))


class TestProviderProgram:
    def test_joining_sets_the_date_once(self, newcomer):
        services.join_provider_program(user=newcomer)
        joined_at = newcomer.joined_provider_program_at
        assert joined_at is not None
        services.join_provider_program(user=newcomer)
        newcomer.refresh_from_db()
        assert newcomer.joined_provider_program_at == joined_at

    def test_create_company_makes_creator_a_user_with_every_right(self, colleague):
        company = services.create_company(name="Beta", slug="beta", created_by=colleague)
        company_user = CompanyUser.objects.get(company=company)
        assert company_user.user == colleague
        assert company_user.permissions == ALL_PERMISSIONS
        assert actions(company) == [AuditEvent.Action.COMPANY_CREATED]

    def test_create_company_needs_the_program(self, newcomer):
        with pytest.raises(NotInProviderProgramError):
            services.create_company(name="Beta", slug="beta", created_by=newcomer)

    def test_create_company_refuses_a_taken_slug_without_writing(self, company, colleague):
        with pytest.raises(ValidationError):
            services.create_company(name="Acme 2", slug="acme", created_by=colleague)
        assert not CompanyUser.objects.filter(user=colleague).exists()


class TestCompanies:
    def test_an_operator_creates_a_company_for_its_first_manager(self, operator, colleague):
        company = services.create_company(
            name=" Beta ", slug="beta", created_by=operator, first_manager=colleague
        )
        company_user = CompanyUser.objects.get(company=company)
        assert (company.name, company_user.user, company_user.added_by) == (
            "Beta",
            colleague,
            operator,
        )
        assert company_user.permissions == ALL_PERMISSIONS
        event = AuditEvent.objects.get(company=company)
        assert (event.action, event.actor, event.target) == (
            AuditEvent.Action.COMPANY_CREATED,
            operator,
            colleague.email,
        )

    def test_the_first_manager_must_have_joined_the_program(self, operator, newcomer):
        with pytest.raises(NoProviderAccountError, match="newcomer@example.com doesn't have"):
            services.create_company(
                name="Beta", slug="beta", created_by=operator, first_manager=newcomer
            )
        assert not Company.objects.filter(slug="beta").exists()

    def test_rename_audits_before_and_after(self, company, manager, operator):
        services.rename_company(company=company, name="Acme Inc.", slug="acme-inc", actor=operator)
        company.refresh_from_db()
        assert (company.name, company.slug) == ("Acme Inc.", "acme-inc")
        event = AuditEvent.objects.get(action=AuditEvent.Action.COMPANY_RENAMED)
        assert event.actor == operator
        assert event.details == {
            "before": {"name": "Acme Add-ons", "slug": "acme"},
            "after": {"name": "Acme Inc.", "slug": "acme-inc"},
        }

    def test_rename_to_the_same_name_changes_nothing(self, company, operator):
        services.rename_company(company=company, name="Acme Add-ons", slug="acme", actor=operator)
        assert not AuditEvent.objects.exists()

    def test_rename_to_a_taken_slug_is_refused_by_field(self, company, other_company, operator):
        with pytest.raises(ValidationError) as refused:
            services.rename_company(company=company, name="Acme", slug="rival", actor=operator)
        assert "slug" in refused.value.message_dict
        company.refresh_from_db()
        assert company.slug == "acme"
        assert not AuditEvent.objects.exists()

    def test_delete_takes_users_invitations_and_audit_and_logs_who_did_it(
        self,
        company,
        manager,
        pending_invitation,
        operator,
        caplog,
        django_capture_on_commit_callbacks,
    ):
        caplog.set_level("INFO", logger="accounts.services.companies")
        with django_capture_on_commit_callbacks(execute=True):
            services.delete_company(company=company, actor=operator)
        assert not Company.objects.filter(pk=company.pk).exists()
        assert not CompanyUser.objects.exists() and not Invitation.objects.exists()
        assert not AuditEvent.objects.exists()
        assert caplog.messages == [
            f"Company 'Acme Add-ons' (slug acme, id {company.pk}) deleted by operator@example.com, "
            "with 1 company users, 1 invitations, 1 audit events"
        ]

    def test_delete_takes_an_addon_that_has_no_resources(self, company, manager, addon, operator):
        services.delete_company(company=company, actor=operator)
        assert not Addon.objects.exists()

    def test_delete_is_refused_while_resources_depend_on_it(
        self,
        company,
        operator,
        resources_installed_by_supporter,
        caplog,
        django_capture_on_commit_callbacks,
    ):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(CompanyInUseError) as refused,
        ):
            services.delete_company(company=company, actor=operator)
        assert str(refused.value) == (
            "Acme Add-ons cannot be deleted: it still has 2 addon resources."
        )
        assert Company.objects.filter(pk=company.pk).exists()
        assert CompanyUser.objects.filter(company=company).count() == 2
        assert not caplog.messages


class TestAddCompanyUser:
    def test_adds_with_chosen_permissions_audits_and_emails_after_commit(
        self, company, manager, colleague, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            company_user = services.add_company_user(
                company=company,
                email="COLLEAGUE@example.com ",
                permissions={Permission.SUPPORT_TICKETS},
                actor=CompanyUserActor(manager),
            )
            assert mail.outbox == []  # nothing leaves before the commit
        assert company_user.user == colleague
        assert company_user.permissions == {Permission.SUPPORT_TICKETS}
        assert company_user.added_by == manager.user
        event = AuditEvent.objects.get(action=AuditEvent.Action.USER_ADDED)
        assert (event.target, event.actor, event.details) == (
            "colleague@example.com",
            manager.user,
            {"permissions": ["support_tickets"]},
        )
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["colleague@example.com"]
        assert "Acme Add-ons" in message.subject
        assert "View and respond to support tickets" in message.body
        assert message.alternatives[0].mimetype == "text/html"
        assert Notification.objects.get().status == Notification.Status.SENT

    def test_default_is_every_permission(self, company, manager, colleague):
        company_user = services.add_company_user(
            company=company, email=colleague.email, actor=CompanyUserActor(manager)
        )
        assert company_user.permissions == ALL_PERMISSIONS

    def test_unknown_email_gives_the_exact_message(self, company, manager):
        with pytest.raises(NoProviderAccountError) as excinfo:
            services.add_company_user(
                company=company, email="nobody@example.com", actor=CompanyUserActor(manager)
            )
        assert str(excinfo.value) == (
            "nobody@example.com doesn't have a Heroku account associated with it"
        )
        assert CompanyUser.objects.count() == 1
        assert not AuditEvent.objects.exists()
        assert not Notification.objects.exists()

    def test_person_outside_the_program_cannot_be_added(self, company, manager, newcomer):
        with pytest.raises(NoProviderAccountError):
            services.add_company_user(
                company=company, email=newcomer.email, actor=CompanyUserActor(manager)
            )

    def test_already_a_member(self, company, manager, supporter):
        with pytest.raises(AlreadyMemberError):
            services.add_company_user(
                company=company, email="Support@Example.com", actor=CompanyUserActor(manager)
            )

    def test_nothing_is_emailed_when_the_transaction_rolls_back(
        self, company, manager, colleague, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                services.add_company_user(
                    company=company, email=colleague.email, actor=CompanyUserActor(manager)
                )
                raise RuntimeError("a later step failed")
        assert callbacks == []
        assert mail.outbox == []
        assert not CompanyUser.objects.filter(user=colleague).exists()
        assert not Notification.objects.exists()


class TestInvitations:
    def test_invite_audits_and_emails_a_signed_link(
        self, company, manager, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invite_company_user(
                company=company,
                email="New.Person@Example.com",
                permissions={Permission.MANAGE_MANIFESTS},
                actor=CompanyUserActor(manager),
            )
        assert invitation.email == "new.person@example.com"
        assert invitation.permissions == {Permission.MANAGE_MANIFESTS}
        assert invitation.state == Invitation.State.PENDING
        expected_expiry = timezone.now() + timedelta(days=7)
        assert abs(invitation.expires_at - expected_expiry) < timedelta(minutes=1)
        assert actions(company) == [AuditEvent.Action.INVITATION_SENT]
        (message,) = mail.outbox
        assert message.to == ["new.person@example.com"]
        assert services.invitation_url(invitation) in message.body
        assert invitation.key not in message.body.replace(services.invitation_url(invitation), "")

    def test_token_carries_id_and_key_and_is_signed(self, pending_invitation, invitation_token):
        assert services.get_invitation_for_token(invitation_token) == pending_invitation
        with pytest.raises(InvalidInvitationLinkError):
            services.get_invitation_for_token(invitation_token[:-2] + "xx")
        with pytest.raises(InvalidInvitationLinkError):
            services.get_invitation_for_token("garbage")

    def test_inviting_a_member_is_refused(self, company, manager, supporter):
        with pytest.raises(AlreadyMemberError):
            services.invite_company_user(
                company=company, email=supporter.user.email, actor=CompanyUserActor(manager)
            )

    def test_inviting_an_email_with_an_open_invitation_says_so(
        self, company, manager, pending_invitation
    ):
        with pytest.raises(InvitationError, match="already has an open invitation"):
            services.invite_company_user(
                company=company, email="INVITEE@example.com", actor=CompanyUserActor(manager)
            )
        assert Invitation.objects.count() == 1

    def test_an_expired_invitation_can_be_replaced(self, company, manager, pending_invitation):
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            fresh = services.invite_company_user(
                company=company, email=pending_invitation.email, actor=CompanyUserActor(manager)
            )
        pending_invitation.refresh_from_db()
        assert pending_invitation.cancelled_at is not None
        assert fresh.pk != pending_invitation.pk

    def test_resend_voids_the_old_link(
        self, manager, pending_invitation, invitation_token, django_capture_on_commit_callbacks
    ):
        old_key = pending_invitation.key
        with django_capture_on_commit_callbacks(execute=True):
            services.resend_invitation(
                invitation=pending_invitation, actor=CompanyUserActor(manager)
            )
        pending_invitation.refresh_from_db()
        assert pending_invitation.key != old_key
        with pytest.raises(InvitationError, match="replaced by a newer one"):
            services.get_invitation_for_token(invitation_token)
        new_token = services.make_invitation_token(pending_invitation)
        assert services.get_invitation_for_token(new_token) == pending_invitation
        assert services.invitation_url(pending_invitation) in mail.outbox[-1].body
        assert AuditEvent.Action.INVITATION_RESENT in actions(pending_invitation.company)

    def test_resend_renews_an_expired_invitation(self, manager, pending_invitation):
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            services.resend_invitation(
                invitation=pending_invitation, actor=CompanyUserActor(manager)
            )
            pending_invitation.refresh_from_db()
            assert pending_invitation.state == Invitation.State.PENDING

    def test_cancel(self, manager, pending_invitation, invitation_token):
        services.cancel_invitation(invitation=pending_invitation, actor=CompanyUserActor(manager))
        with pytest.raises(InvitationError, match="cancelled"):
            services.get_invitation_for_token(invitation_token)
        with pytest.raises(InvitationError):
            services.cancel_invitation(
                invitation=pending_invitation, actor=CompanyUserActor(manager)
            )
        with pytest.raises(InvitationError):
            services.resend_invitation(
                invitation=pending_invitation, actor=CompanyUserActor(manager)
            )
        assert AuditEvent.Action.INVITATION_CANCELLED in actions(pending_invitation.company)

    def test_accept_makes_a_company_user_with_the_invited_rights(
        self, manager, pending_invitation, invitation_token, invitee
    ):
        company_user = services.accept_invitation(token=invitation_token, user=invitee)
        assert company_user.company == pending_invitation.company
        assert company_user.permissions == {Permission.SUPPORT_TICKETS, Permission.OAUTH_SECRETS}
        assert company_user.added_by == manager.user
        pending_invitation.refresh_from_db()
        assert pending_invitation.accepted_by == invitee
        assert pending_invitation.accepted_at is not None
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.INVITATION_ACCEPTED, actor=invitee
        ).exists()

    def test_a_used_token_cannot_be_reused(self, invitation_token, invitee):
        services.accept_invitation(token=invitation_token, user=invitee)
        with pytest.raises(InvitationError, match="already been accepted"):
            services.accept_invitation(token=invitation_token, user=invitee)
        assert CompanyUser.objects.filter(user=invitee).count() == 1

    def test_an_expired_token_is_refused(self, invitation_token, invitee):
        with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
            with pytest.raises(InvitationError, match="expired"):
                services.accept_invitation(token=invitation_token, user=invitee)
        assert not CompanyUser.objects.filter(user=invitee).exists()

    def test_expiry_follows_the_setting(self, settings, company, manager, invitee):
        settings.INVITATION_MAX_AGE_DAYS = 1
        invitation = services.invite_company_user(
            company=company, email=invitee.email, actor=CompanyUserActor(manager)
        )
        token = services.make_invitation_token(invitation)
        with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
            with pytest.raises(InvitationError, match="expired"):
                services.accept_invitation(token=token, user=invitee)

    def test_a_cancelled_token_is_refused(self, manager, pending_invitation, invitation_token):
        services.cancel_invitation(invitation=pending_invitation, actor=CompanyUserActor(manager))
        with pytest.raises(InvitationError, match="cancelled"):
            services.get_invitation_for_token(invitation_token)

    def test_accepting_needs_the_program(self, invitation_token, password):
        from tests.builders import make_provider

        user = make_provider("invitee@example.com", password, joined=False)
        with pytest.raises(NotInProviderProgramError):
            services.accept_invitation(token=invitation_token, user=user)

    def test_accepting_needs_the_invited_email(self, invitation_token, colleague):
        with pytest.raises(InvitationForAnotherEmailError):
            services.accept_invitation(token=invitation_token, user=colleague)
        assert not CompanyUser.objects.filter(user=colleague).exists()

    def test_accepting_when_already_a_member(self, company, invitation_token, invitee):
        CompanyUser.objects.create(company=company, user=invitee)
        with pytest.raises(AlreadyMemberError):
            services.accept_invitation(token=invitation_token, user=invitee)


class TestPermissionsAndRevocation:
    def test_edit_permissions_audits_before_and_after(self, manager, supporter):
        services.set_company_user_permissions(
            company_user=supporter,
            permissions={Permission.SUPPORT_TICKETS, Permission.INSTALL_PLANS},
            actor=CompanyUserActor(manager),
        )
        supporter.refresh_from_db()
        assert supporter.permissions == {Permission.SUPPORT_TICKETS, Permission.INSTALL_PLANS}
        event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSIONS_CHANGED)
        assert event.details == {
            "before": ["support_tickets"],
            "after": ["install_plans", "support_tickets"],
        }

    def test_last_manager_cannot_lose_the_right(self, manager, supporter):
        with pytest.raises(LastManagerError, match="last user"):
            services.set_company_user_permissions(
                company_user=manager,
                permissions={Permission.SUPPORT_TICKETS},
                actor=CompanyUserActor(manager),
            )
        manager.refresh_from_db()
        assert Permission.MANAGE_COMPANY_USERS in manager.permissions
        assert not AuditEvent.objects.exists()

    def test_a_manager_can_lose_the_right_when_another_remains(self, manager, second_manager):
        services.set_company_user_permissions(
            company_user=manager, permissions=set(), actor=CompanyUserActor(manager)
        )
        manager.refresh_from_db()
        assert manager.permissions == frozenset()

    def test_last_manager_cannot_be_revoked(self, manager, supporter):
        with pytest.raises(LastManagerError):
            services.revoke_company_user(company_user=manager, actor=CompanyUserActor(manager))
        assert CompanyUser.objects.filter(pk=manager.pk).exists()

    def test_revoke_deletes_the_membership_audits_and_emails(
        self, manager, supporter, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.revoke_company_user(company_user=supporter, actor=CompanyUserActor(manager))
        assert not CompanyUser.objects.filter(pk=supporter.pk).exists()
        event = AuditEvent.objects.get(action=AuditEvent.Action.USER_REVOKED)
        assert event.target == "support@example.com"
        assert mail.outbox[0].to == ["support@example.com"]

    def test_revocation_keeps_installed_resources_provisioned(
        self, manager, supporter, resources_installed_by_supporter
    ):
        services.revoke_company_user(company_user=supporter, actor=CompanyUserActor(manager))
        for resource in resources_installed_by_supporter:
            resource.refresh_from_db()
            assert resource.state == AddonResource.State.PROVISIONED
            assert resource.installed_by == supporter.user
        assert AddonResource.objects.provisioned().count() == 2

    def test_two_managers_revoking_each_other_leaves_one(self, manager, second_manager):
        """Both revocations lock the managers first, so the second sees the first's result: its
        actor is no longer a company user."""
        services.revoke_company_user(company_user=second_manager, actor=CompanyUserActor(manager))
        with pytest.raises(NotPermittedError, match="not a user of Acme Add-ons"):
            services.revoke_company_user(
                company_user=manager, actor=CompanyUserActor(second_manager)
            )
        assert CompanyUser.objects.managers().count() == 1

    def test_two_managers_leaving_leave_one(self, manager, second_manager):
        services.revoke_company_user(
            company_user=second_manager, actor=CompanyUserActor(second_manager)
        )
        with pytest.raises(LastManagerError):
            services.revoke_company_user(company_user=manager, actor=CompanyUserActor(manager))
        assert CompanyUser.objects.managers().count() == 1

    def test_ticket_notifications_toggle_audits(self, supporter):
        services.set_ticket_notifications(
            company_user=supporter, enabled=False, actor=supporter.user
        )
        supporter.refresh_from_db()
        assert supporter.notify_on_ticket_events is False
        event = AuditEvent.objects.get(action=AuditEvent.Action.NOTIFICATIONS_CHANGED)
        assert event.details == {"notify_on_ticket_events": False}
        # setting the same value again changes nothing and writes no second event
        services.set_ticket_notifications(
            company_user=supporter, enabled=False, actor=supporter.user
        )
        assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who_revokes", ["each other", "themselves"])
def test_concurrent_revocations_of_the_last_two_managers_keep_one(
    company, manager, second_manager, who_revokes
):
    """Run the two revocations in two threads, each with its own connection and transaction.

    Revoking each other, the second finds its actor gone; leaving, the second is the last manager.
    """
    from django.db import connection

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        "file:memorydb"
    ):
        pytest.skip("in-memory SQLite cannot be shared between threads")
    errors = []
    barrier = threading.Barrier(2)

    def revoke(target, actor):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.revoke_company_user(company_user=target, actor=actor)
        except (LastManagerError, NotPermittedError) as exc:
            errors.append(exc)
        finally:
            thread_connection.close()

    actors = {manager: second_manager, second_manager: manager}
    if who_revokes == "themselves":
        actors = {manager: manager, second_manager: second_manager}
    threads = [
        threading.Thread(target=revoke, args=(target, CompanyUserActor(actor)))
        for target, actor in actors.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1
    assert CompanyUser.objects.for_company(company).managers().count() == 1
