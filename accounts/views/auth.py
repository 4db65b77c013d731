"""The portal's entrance: django-allauth's login and sign-up pages, with the portal's additions.

- Both offer "Log in with Heroku" while it is on, so their forms may lead to Heroku (CSP).
- Sign-up re-renders a refused form with 400, and many simultaneous sign-ups for one address give
  one account: the others get the "already exists" form error, never a server error.
- Addresses of the pages before allauth redirect to their allauth successors.
"""

from allauth.account import views as allauth_views
from allauth.account.internal import flows
from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect

from accounts.adapters import TAKEN
from accounts.heroku_login import config as heroku_login


class HerokuLoginButtonMixin:
    """The page shows "Log in with Heroku" while it is on (its form then leads to Heroku)."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(heroku_login_enabled=heroku_login.is_enabled(), **kwargs)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        return heroku_login.allow_form_action(response)


class LoginView(HerokuLoginButtonMixin, allauth_views.LoginView):
    pass


class SignupView(HerokuLoginButtonMixin, allauth_views.SignupView):
    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.user, response = form.try_save(self.request)
        except IntegrityError:  # the same address signed up a moment ago, in another request
            form.add_error("email", TAKEN)
            return self.form_invalid(form)
        if response:
            return response
        return self.complete_signup(form)

    def complete_signup(self, form):
        """What allauth does after saving: send the verification link, say it was sent."""
        try:
            return flows.signup.complete_signup(
                self.request,
                user=self.user,
                redirect_url=self.get_success_url(),
                by_passkey=form.by_passkey,
            )
        except ImmediateHttpResponse as exc:
            return exc.response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """The verification link's page; an expired or unknown link is a 404 that says so."""

    def render_to_response(self, context, **response_kwargs):
        if not context.get("confirmation"):
            response_kwargs["status"] = 404
        return super().render_to_response(context, **response_kwargs)


class PasswordResetFromKeyView(allauth_views.PasswordResetFromKeyView):
    """The reset link's page; an invalid or used link is a 404 that says so."""

    def render_to_response(self, context, **response_kwargs):
        if context.get("token_fail"):
            response_kwargs["status"] = 404
        return super().render_to_response(context, **response_kwargs)


def not_offered(request):
    """A page of django-allauth's that the portal does not offer."""
    raise Http404("The portal does not offer this page.")


def legacy_password_reset_link(request, uidb64: str, token: str):
    """A reset link e-mailed before the move to allauth: ask for a new one (it cannot be used)."""
    messages.info(
        request,
        "That password reset link is from an earlier version of the portal and no longer works. "
        "Ask for a new one below.",
    )
    return redirect("account_reset_password")
