"""The DEBUG-only "Sign in as a Heroku customer" page (404 unless DEBUG is on)."""

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from addons.demo.sign_in import customer_sign_ins


class CustomerSignInView(TemplateView):
    """List signed SSO forms, one per person of each synced resource; each posts to /sso/login."""

    template_name = "addons/demo/customer_sign_in.html"
    extra_context = {"title": "Sign in as a Heroku customer"}
    http_method_names = ["get", "head"]

    def dispatch(self, request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404("The demo pages exist only in development (DEBUG).")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            resources=customer_sign_ins(now=timezone.now()),
            token_max_age=settings.SSO_TOKEN_MAX_AGE,
            **kwargs,
        )
