"""The operators' admin. Changes to company users and invitations go through accounts.services, the
same functions the Company tab calls, so the same rules (last manager) and audit apply."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts import services
from accounts.exceptions import (
    AccountsError,
    AlreadyMemberError,
    InvitationError,
    NoProviderAccountError,
)
from accounts.forms import CompanyUserForm
from accounts.models import AuditEvent, Company, CompanyUser, Invitation, Notification, User
from accounts.templatetags.accounts_tags import permission_labels


def _permissions_display(obj) -> str:
    return ", ".join(permission_labels(obj.permissions)) or "—"


class ReadOnlyAdminMixin:
    """Rows that only services write: operators may look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("name",)}),
        ("Provider program", {"fields": ("joined_provider_program_at",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "name", "joined_provider_program_at", "is_staff", "is_active")
    list_filter = (
        ("joined_provider_program_at", admin.EmptyFieldListFilter),
        "is_staff",
        "is_superuser",
        "is_active",
    )
    search_fields = ("email", "name")
    ordering = ("email",)


class CompanyUserInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CompanyUser
    fields = (
        "user",
        "permissions_display",
        "notify_on_ticket_events",
        "added_by",
        "created_at",
        "revoke",
    )
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company", "user", "added_by")

    @admin.display(description="Permissions")
    def permissions_display(self, obj):
        return _permissions_display(obj)

    @admin.display(description="Revoke")
    def revoke(self, obj):
        url = reverse("admin:accounts_companyuser_revoke", args=[obj.pk])
        return format_html('<a href="{}">Revoke…</a>', url)


class InvitationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Invitation
    fields = ("email", "permissions_display", "invited_by", "created_at", "expires_at", "state")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company", "invited_by")

    @admin.display(description="Permissions")
    def permissions_display(self, obj):
        return _permissions_display(obj)

    @admin.display(description="State")
    def state(self, obj):
        return obj.state.value


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "user_count", "created_at")
    search_fields = ("name", "slug", "members__user__email")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CompanyUserInline, InvitationInline]
    change_form_template = "admin/accounts/company/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("members", distinct=True))

    @admin.display(description="Users", ordering="user_count")
    def user_count(self, obj):
        return obj.user_count

    def get_urls(self):
        return [
            path(
                "<int:object_id>/add-company-user/",
                self.admin_site.admin_view(self.add_company_user_view),
                name="accounts_company_add_user",
            ),
            *super().get_urls(),
        ]

    def add_company_user_view(self, request, object_id):
        """Add a provider to the company, or invite the email when it has no provider account."""
        company = get_object_or_404(Company, pk=object_id)
        if not (
            self.has_view_or_change_permission(request, company)
            and request.user.has_perm("accounts.add_companyuser")
        ):
            raise PermissionDenied
        offer_invitation = False
        status = 200
        if request.method == "POST":
            form = CompanyUserForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if "invite" in request.POST:
                        services.invite_company_user(
                            company=company,
                            email=data["email"],
                            permissions=data["permissions"],
                            invited_by=request.user,
                        )
                        done = f"An invitation was sent to {data['email']}."
                    else:
                        services.add_company_user(
                            company=company,
                            email=data["email"],
                            permissions=data["permissions"],
                            added_by=request.user,
                        )
                        done = f"{data['email']} was added to {company} and told by email."
                except NoProviderAccountError as exc:
                    form.add_error("email", str(exc))
                    offer_invitation = True
                except (AlreadyMemberError, InvitationError) as exc:
                    form.add_error("email", str(exc))
                else:
                    self.message_user(request, done, messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:accounts_company_change", args=[company.pk])
                    )
            status = 400
        else:
            form = CompanyUserForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": company,
            "title": f"Add a company user to {company}",
            "form": form,
            "offer_invitation": offer_invitation,
        }
        return TemplateResponse(
            request, "admin/accounts/company/add_company_user.html", context, status=status
        )


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

    @admin.display(description="Permissions")
    def permissions_display(self, obj):
        return _permissions_display(obj)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="accounts_companyuser_revoke",
            ),
            *super().get_urls(),
        ]

    def _revoke(self, request, company_users) -> None:
        for company_user in company_users:
            try:
                services.revoke_company_user(company_user=company_user, actor=request.user)
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


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("email", "company", "state", "invited_by", "created_at", "expires_at")
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
        for invitation in queryset:
            try:
                service(invitation=invitation, actor=request.user)
            except InvitationError as exc:
                self.message_user(request, f"{invitation.email}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{invitation.email}: {done}", messages.SUCCESS)

    @admin.action(description="Resend selected invitations", permissions=["manage"])
    def resend_selected(self, request, queryset):
        self._apply(request, queryset, services.resend_invitation, "sent again")

    @admin.action(description="Cancel selected invitations", permissions=["manage"])
    def cancel_selected(self, request, queryset):
        self._apply(request, queryset, services.cancel_invitation, "cancelled")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "company", "action", "actor", "target")
    list_filter = ("action",)
    list_select_related = ("company", "actor")
    search_fields = ("target", "company__name", "actor__email")
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "email", "kind", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status", "kind")
    list_select_related = ("company",)
    search_fields = ("email", "subject")
