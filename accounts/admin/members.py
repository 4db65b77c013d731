"""Operators' admin for company users and invitations: changes go through accounts.services, the
same functions the Company tab calls, so the same rules (last manager) and audit apply.

Operators act here as `OperatorActor`s: Django's model permissions decide what they may do
(`accounts.change_companyuser` to set rights, `accounts.delete_companyuser` to revoke,
`accounts.change_invitation` to resend or cancel), outside the companies' rights model; and, like
everyone, they never raise their own rights.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts import services
from accounts.admin.common import ReadOnlyAdminMixin, permissions_display
from accounts.exceptions import AccountsError, InvitationError, NotPermittedError
from accounts.forms import PermissionsForm
from accounts.models import CompanyUser, Invitation
from accounts.permissions import ALL_PERMISSIONS


@admin.register(CompanyUser)
class CompanyUserAdmin(admin.ModelAdmin):
    """View-only rows; the "revoke" action and view call the revocation service."""

    list_display = ("user", "company", "permissions_display", "added_by", "created_at")
    list_filter = ("company",)
    list_select_related = ("user", "company", "added_by")
    search_fields = ("user__email", "company__name", "company__slug")
    actions = ["revoke_selected"]
    fields = ("company", "user", "permissions_display", "notify_on_ticket_events", "added_by")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # through "Add company user" on the company, which calls the service

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the delete view would skip the last-manager rule and the audit

    def has_revoke_permission(self, request):
        return request.user.has_perm("accounts.delete_companyuser")

    def has_rights_permission(self, request):
        return request.user.has_perm("accounts.change_companyuser")

    @admin.display(description="Permissions")
    def permissions_display(self, obj):
        return permissions_display(obj)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="accounts_companyuser_revoke",
            ),
            path(
                "<int:object_id>/rights/",
                self.admin_site.admin_view(self.rights_view),
                name="accounts_companyuser_rights",
            ),
            *super().get_urls(),
        ]

    def _revoke(self, request, company_users) -> None:
        actor = services.OperatorActor(request.user)
        for company_user in company_users:
            try:
                services.revoke_company_user(company_user=company_user, actor=actor)
            except AccountsError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{company_user.user.email} is no longer a user of {company_user.company}.",
                    messages.SUCCESS,
                )

    def _confirmation(self, request, company_users, *, action: str | None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Revoke company users?",
            "company_users": company_users,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/accounts/companyuser/revoke_confirmation.html", context
        )

    @admin.action(description="Revoke selected company users…", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        company_users = list(queryset.select_related("user", "company"))
        if request.POST.get("confirm") == "yes":
            self._revoke(request, company_users)
            return None
        return self._confirmation(request, company_users, action="revoke_selected")

    def revoke_view(self, request, object_id):
        """Confirm, then revoke one company user."""
        company_user = get_object_or_404(
            CompanyUser.objects.select_related("user", "company"), pk=object_id
        )
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            self._revoke(request, [company_user])
            return HttpResponseRedirect(
                reverse("admin:accounts_company_change", args=[company_user.company_id])
            )
        return self._confirmation(request, [company_user], action=None)

    def rights_view(self, request, object_id):
        """Set one company user's rights, through the service, as the operator."""
        company_user = get_object_or_404(
            CompanyUser.objects.select_related("user", "company"), pk=object_id
        )
        if not self.has_rights_permission(request):
            raise PermissionDenied
        own = company_user.user_id == request.user.pk
        offered = company_user.permissions if own else ALL_PERMISSIONS
        status = 200
        if request.method == "POST":
            form = PermissionsForm(request.POST, offered=offered, own=own)
            status = 400
            if form.is_valid():
                try:
                    services.set_company_user_permissions(
                        company_user=company_user,
                        permissions=form.cleaned_data["permissions"],
                        actor=services.OperatorActor(request.user),
                    )
                except NotPermittedError as exc:
                    form.add_error("permissions", str(exc))
                    status = 403
                except AccountsError as exc:
                    form.add_error("permissions", str(exc))
                    status = 409
                else:
                    self.message_user(
                        request, f"The rights of {company_user} were saved.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(
                        reverse("admin:accounts_company_change", args=[company_user.company_id])
                    )
        else:
            initial = {"permissions": sorted(company_user.permissions)}
            form = PermissionsForm(initial=initial, offered=offered, own=own)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Rights of {company_user}",
            "company_user": company_user,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/accounts/companyuser/rights.html", context, status=status
        )


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "email",
        "company",
        "state",
        "invited_by",
        "invited_as",
        "created_at",
        "expires_at",
    )
    list_select_related = ("company", "invited_by")
    list_filter = ("company",)
    search_fields = ("email", "company__name")
    actions = ["resend_selected", "cancel_selected"]
    exclude = ("key",)  # the nonce of the signed link: never shown

    def has_manage_permission(self, request):
        return request.user.has_perm("accounts.change_invitation")

    @admin.display(description="State")
    def state(self, obj):
        return obj.state.value

    def _apply(self, request, queryset, service, done: str) -> None:
        actor = services.OperatorActor(request.user)
        for invitation in queryset:
            try:
                service(invitation=invitation, actor=actor)
            except (InvitationError, NotPermittedError) as exc:
                self.message_user(request, f"{invitation.email}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{invitation.email}: {done}", messages.SUCCESS)

    @admin.action(description="Resend selected invitations", permissions=["manage"])
    def resend_selected(self, request, queryset):
        self._apply(request, queryset, services.resend_invitation, "sent again")

    @admin.action(description="Cancel selected invitations", permissions=["manage"])
    def cancel_selected(self, request, queryset):
        self._apply(request, queryset, services.cancel_invitation, "cancelled")
