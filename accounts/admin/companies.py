"""Operators' admin for companies, with their users and invitations shown on the company's page.

Creating, renaming and deleting a company and adding a company user go through accounts.services,
the functions the Company tab calls, so a company always has a manager and every change is audited.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts import services
from accounts.admin.common import ReadOnlyAdminMixin, ServiceAdminMixin, permissions_display
from accounts.exceptions import (
    AlreadyMemberError,
    InvitationError,
    NoProviderAccountError,
    NotPermittedError,
)
from accounts.forms import CompanyUserForm, EmailAddressField
from accounts.models import Company, CompanyUser, Invitation


class CompanyUserInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CompanyUser
    fields = (
        "user",
        "permissions_display",
        "notify_on_ticket_events",
        "added_by",
        "created_at",
        "rights",
        "revoke",
    )
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company", "user", "added_by")

    @admin.display(description="Permissions")
    def permissions_display(self, obj):
        return permissions_display(obj)

    @admin.display(description="Rights")
    def rights(self, obj):
        url = reverse("admin:accounts_companyuser_rights", args=[obj.pk])
        return format_html('<a href="{}">Change rights…</a>', url)

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
        return permissions_display(obj)

    @admin.display(description="State")
    def state(self, obj):
        return obj.state.value


class CompanyAddForm(forms.ModelForm):
    """A new company and the person who becomes its first manager."""

    first_manager = EmailAddressField(
        label="First manager's email address",
        max_length=254,
        help_text="A person who has joined the Provider Program. They become the company's first "
        "user, with every right, and add the others.",
    )

    class Meta:
        model = Company
        fields = ["name", "slug"]


@admin.register(Company)
class CompanyAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Companies are created, renamed and deleted through accounts.services.

    A company is deleted from its own page, which lists everything that goes with it.
    """

    # Its page in the portal is for company users: an operator who is not one would get a 404.
    view_on_site = False

    list_display = ("name", "slug", "user_count", "created_at")
    search_fields = ("name", "slug", "members__user__email")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CompanyUserInline, InvitationInline]
    change_form_template = "admin/accounts/company/change_form.html"
    refusal_fields = {NoProviderAccountError: "first_manager"}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("members", distinct=True))

    @admin.display(description="Users", ordering="user_count")
    def user_count(self, obj):
        return obj.user_count

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CompanyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "slug"] if obj is not None else ["name", "slug", "first_manager"]

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)  # unsaved; save_model renames
        data = form.cleaned_data
        return services.create_company(
            name=data["name"],
            slug=data["slug"],
            created_by=request.user,
            first_manager=services.find_provider(data["first_manager"]),
        )

    def save_model(self, request, obj, form, change):
        if change:
            data = form.cleaned_data
            services.rename_company(
                company=obj, name=data["name"], slug=data["slug"], actor=request.user
            )
        # An added company was created, with its first manager, by save_form.

    def delete_model(self, request, obj):
        services.delete_company(company=obj, actor=request.user)

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
        """Add a provider to the company, or invite the email when it has no provider account.

        The operator acts with Django's model permissions (`accounts.add_companyuser`), outside
        the company's rights model, but may not add or invite themselves.
        """
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
            status = 400
            if form.is_valid():
                try:
                    done = self._add_or_invite(request, company, form.cleaned_data)
                except NotPermittedError as exc:
                    form.add_error("email", str(exc))
                    status = 403
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

    def _add_or_invite(self, request, company, data) -> str:
        """Add or invite the person DATA names, as the operator; return what was done."""
        actor = services.OperatorActor(request.user)
        if "invite" in request.POST:
            services.invite_company_user(
                company=company, email=data["email"], permissions=data["permissions"], actor=actor
            )
            return f"An invitation was sent to {data['email']}."
        services.add_company_user(
            company=company, email=data["email"], permissions=data["permissions"], actor=actor
        )
        return f"{data['email']} was added to {company} and told by email."
