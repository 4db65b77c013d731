"""A person's own pages: sign-up, the provider home, joining the Provider Program."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import CreateView, TemplateView

from accounts import services
from accounts.forms import (
    CompanyForm,
    SignupForm,
)
from accounts.views.common import InvalidFormStatusMixin, safe_next_url


def home(request):
    if request.user.is_authenticated:
        return redirect("provider-home")
    return redirect("login")


class SignupView(InvalidFormStatusMixin, CreateView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    extra_context = {"title": "Sign up"}

    def form_valid(self, form):
        user = form.save()
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, "Welcome! Your account is ready.")
        return redirect(safe_next_url(self.request, reverse("provider-home")))

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=safe_next_url(self.request, ""), **kwargs)


class ProviderHomeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/provider_home.html"
    extra_context = {"title": "Provider home"}

    def get_context_data(self, **kwargs):
        memberships = self.request.user.memberships.select_related("company").order_by(
            "company__name"
        )
        return super().get_context_data(
            memberships=memberships, company_form=CompanyForm(), **kwargs
        )


class JoinProviderProgramView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        services.join_provider_program(user=request.user)
        messages.success(request, "You have joined the Provider Program.")
        return redirect(safe_next_url(request, reverse("provider-home")))
