"""The Company tab: create a company, its users, their rights, invitations, revocations."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts import services
from accounts.exceptions import (
    AlreadyMemberError,
    InvitationError,
    LastManagerError,
    NoProviderAccountError,
    NotAMemberError,
    NotInProviderProgramError,
    NotPermittedError,
    UnverifiedEmailError,
)
from accounts.forms import (
    CompanyForm,
    CompanyUserForm,
    InvitationForm,
    PermissionsForm,
    TicketNotificationsForm,
)
from accounts.mixins import CompanyMemberMixin
from accounts.models import AuditEvent, CompanyUser, Invitation
from accounts.permissions import Permission
from accounts.services.authority import rights_to_offer, sender_may_grant
from accounts.services.members import is_last_manager, last_manager_error
from accounts.signals import revocation_notices
from accounts.views.common import InvalidFormStatusMixin, render_error

RECENT_AUDIT_EVENTS = 20


class CompanyCreateView(LoginRequiredMixin, InvalidFormStatusMixin, FormView):
    form_class = CompanyForm
    template_name = "accounts/company_create.html"
    extra_context = {"title": "Create a company", "submit_label": "Create the company"}

    def form_valid(self, form):
        try:
            company = services.create_company(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                created_by=self.request.user,
            )
        except (NotInProviderProgramError, UnverifiedEmailError) as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form, status=403)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{company} was created. You hold every permission.")
        return redirect(company)


class CompanyUsersView(CompanyMemberMixin, TemplateView):
    """The Company tab: its users, their rights, pending invitations and recent changes."""

    template_name = "accounts/company_users.html"

    def get_context_data(self, **kwargs):
        company = self.company
        company_users = list(
            CompanyUser.objects.for_company(company).select_related("user", "added_by")
        )
        rights = {company_user.user_id: company_user.permissions for company_user in company_users}
        invitations = list(
            company.invitations.pending().select_related("invited_by").order_by("email")
        )
        can_manage = self.membership.has_permission(Permission.MANAGE_COMPANY_USERS)
        for invitation in invitations:  # its sender's rights may have changed since they sent it
            invitation.sender_may_grant = sender_may_grant(
                invitation, sender_rights=rights.get(invitation.invited_by_id)
            )
            # The link the e-mail carries, for the inviter to send another way too.
            invitation.link = services.invitation_url(invitation) if can_manage else ""
        return super().get_context_data(
            title=f"{company.name}: company users",
            company_users=company_users,
            invitations=invitations,
            audit_events=AuditEvent.objects.filter(company=company).select_related("actor")[
                :RECENT_AUDIT_EVENTS
            ],
            can_manage=can_manage,
            add_form=CompanyUserForm(offered=grantable(self.membership)),
            notifications_form=TicketNotificationsForm(
                initial={"enabled": self.membership.notify_on_ticket_events}
            ),
            **kwargs,
        )


def grantable(membership: CompanyUser) -> frozenset[Permission]:
    """The rights MEMBERSHIP may give a new company user: the forms offer only these."""
    return rights_to_offer(held=membership.permissions, before=frozenset(), own=False)


class GrantFormMixin(InvalidFormStatusMixin):
    """A form that gives rights: it offers those the user holds; the service refuses the rest."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "offered": grantable(self.membership)}

    def refused(self, form, exc: NotPermittedError):
        form.add_error("permissions", str(exc))
        return self.form_invalid(form, status=403)


class CompanyUserAddView(CompanyMemberMixin, GrantFormMixin, FormView):
    required_permission = Permission.MANAGE_COMPANY_USERS
    form_class = CompanyUserForm
    template_name = "accounts/company_user_add.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Add a company user", **kwargs)

    def form_valid(self, form):
        try:
            company_user = services.add_company_user(
                company=self.company,
                email=form.cleaned_data["email"],
                permissions=form.cleaned_data["permissions"],
                actor=self.actor,
            )
        except NotPermittedError as exc:
            return self.refused(form, exc)
        except NoProviderAccountError as exc:
            form.add_error("email", str(exc))
            return self.form_invalid(form, offer_invitation=True)
        except AlreadyMemberError as exc:
            form.add_error("email", str(exc))
            return self.form_invalid(form, status=409)
        messages.success(self.request, f"{company_user.user.email} was added and told by email.")
        return redirect(self.company)


class InvitationCreateView(CompanyMemberMixin, GrantFormMixin, FormView):
    required_permission = Permission.MANAGE_COMPANY_USERS
    form_class = InvitationForm
    template_name = "accounts/invitation_create.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="Invite a company user", max_age_days=settings.INVITATION_MAX_AGE_DAYS, **kwargs
        )

    def form_valid(self, form):
        try:
            invitation = services.invite_company_user(
                company=self.company,
                email=form.cleaned_data["email"],
                permissions=form.cleaned_data["permissions"],
                actor=self.actor,
                valid_for=form.valid_for,
            )
        except NotPermittedError as exc:
            return self.refused(form, exc)
        except (AlreadyMemberError, InvitationError) as exc:
            form.add_error("email", str(exc))
            return self.form_invalid(form, status=409)
        messages.success(
            self.request,
            f"An invitation was sent to {invitation.email}. To send it another way too, its "
            f"link (which works once, for {invitation.email} only) is: "
            f"{services.invitation_url(invitation)}",
        )
        return redirect(self.company)


class CompanyUserObjectMixin(CompanyMemberMixin):
    """Loads `self.company_user` from the `pk` URL argument, within the member's company only.

    Another person's membership needs "manage company users"; one's own needs no right, since
    anyone may lower their own rights or leave (the services allow no more).
    """

    @cached_property
    def company_user(self) -> CompanyUser:
        return get_object_or_404(
            CompanyUser.objects.select_related("user", "company"),
            pk=self.kwargs["pk"],
            company=self.company,
        )

    @property
    def is_own(self) -> bool:
        return self.company_user.pk == self.membership.pk

    def get_required_permission(self):
        return None if self.is_own else Permission.MANAGE_COMPANY_USERS


class CompanyUserEditView(CompanyUserObjectMixin, GrantFormMixin, FormView):
    form_class = PermissionsForm
    template_name = "accounts/company_user_edit.html"

    def get_initial(self):
        return {"permissions": sorted(self.company_user.permissions)}

    def get_form_kwargs(self):
        offered = rights_to_offer(
            held=self.membership.permissions,
            before=self.company_user.permissions,
            own=self.is_own,
        )
        return {**super().get_form_kwargs(), "offered": offered, "own": self.is_own}

    def get_context_data(self, **kwargs):
        title = "Your permissions" if self.is_own else f"Permissions of {self.company_user.user}"
        return super().get_context_data(title=title, company_user=self.company_user, **kwargs)

    def form_valid(self, form):
        try:
            services.set_company_user_permissions(
                company_user=self.company_user,
                permissions=form.cleaned_data["permissions"],
                actor=self.actor,
            )
        except NotPermittedError as exc:
            return self.refused(form, exc)
        except LastManagerError as exc:
            form.add_error("permissions", str(exc))
            return self.form_invalid(form, status=409)
        messages.success(self.request, f"The permissions of {self.company_user.user} were saved.")
        return redirect(self.company)


class CompanyUserRevokeView(CompanyUserObjectMixin, TemplateView):
    template_name = "accounts/company_user_revoke.html"

    def get_context_data(self, **kwargs):
        company_user = self.company_user
        notices = revocation_notices.send(sender=CompanyUser, company_user=company_user)
        if "error" not in kwargs and is_last_manager(company_user):
            # What the service would refuse is not offered: no "Yes, revoke" under it.
            kwargs["error"] = str(last_manager_error(company_user))
        return super().get_context_data(
            title=f"Revoke {company_user.user.email}?",
            company_user=company_user,
            notices=[notice for _, notice in notices if notice],
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        company_user = self.company_user
        try:
            services.revoke_company_user(company_user=company_user, actor=self.actor)
        except NotPermittedError as exc:
            return self.render_to_response(self.get_context_data(error=str(exc)), status=403)
        except (LastManagerError, NotAMemberError) as exc:
            return self.render_to_response(self.get_context_data(error=str(exc)), status=409)
        messages.success(request, f"{company_user.user.email} is no longer a company user.")
        if company_user.user_id == request.user.pk:
            return redirect("provider-home")
        return redirect(self.company)


class InvitationActionView(CompanyMemberMixin, View):
    """POST-only: resend or cancel one of the company's invitations."""

    required_permission = Permission.MANAGE_COMPANY_USERS
    http_method_names = ["post"]
    action = None  # "resend" or "cancel"

    def post(self, request, *args, **kwargs):
        invitation = get_object_or_404(Invitation, pk=kwargs["pk"], company=self.company)
        service = {
            "resend": services.resend_invitation,
            "cancel": services.cancel_invitation,
        }[self.action]
        try:
            service(invitation=invitation, actor=self.actor)
        except (InvitationError, NotPermittedError) as exc:
            return render_error(
                request,
                title="This invitation cannot be changed",
                message=str(exc),
                status=409 if isinstance(exc, InvitationError) else 403,
                back_url=self.company.get_absolute_url(),
            )
        done = "sent again" if self.action == "resend" else "cancelled"
        messages.success(request, f"The invitation of {invitation.email} was {done}.")
        return redirect(self.company)


class TicketNotificationsView(CompanyMemberMixin, View):
    """POST-only: a company user turns their own ticket emails on or off."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = TicketNotificationsForm(request.POST)
        form.is_valid()  # a missing checkbox means "off"; there is nothing else to get wrong
        enabled = form.cleaned_data.get("enabled", False)
        services.set_ticket_notifications(
            company_user=self.membership, enabled=enabled, actor=request.user
        )
        state = "on" if enabled else "off"
        messages.success(request, f"Emails about ticket events are {state} for you.")
        return redirect(self.company)
