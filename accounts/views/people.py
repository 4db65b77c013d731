"""A person's own pages: the provider home and joining the Provider Program (sign-up, login and
passwords are django-allauth's, accounts.views.auth)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts import selectors, services
from accounts.exceptions import UnverifiedEmailError
from accounts.forms import CompanyForm
from accounts.views.common import render_unverified, safe_next_url


def home(request):
    if request.user.is_authenticated:
        return redirect("provider-home")
    return redirect("account_login")


class ProviderHomeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/provider_home.html"
    extra_context = {"title": "Provider home"}

    def get_context_data(self, **kwargs):
        memberships = self.request.user.memberships.select_related("company").order_by(
            "company__name"
        )
        return super().get_context_data(
            memberships=memberships,
            company_form=CompanyForm(),
            email_verified=selectors.has_verified_email(self.request.user),
            **kwargs,
        )


class JoinProviderProgramView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        try:
            services.join_provider_program(user=request.user)
        except UnverifiedEmailError as exc:
            return render_unverified(request, exc, title="Verify your e-mail address first")
        messages.success(request, "You have joined the Provider Program.")
        return redirect(safe_next_url(request, reverse("provider-home")))
