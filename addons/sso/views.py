"""Views of Add-on SSO (`/sso/login`) and the resource dashboard (`/dashboard/<uuid>/`).

Thin callers of `addons.sso`. Every refusal is a 403 page that says what happened and what to do;
none of these pages shows a portal account control (Heroku owns the person's account).
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from addons.exceptions import AddonsError
from addons.lifecycle.exceptions import LifecycleError
from addons.lifecycle.services import request_rotation
from addons.models import AccessGrant, CredentialRotation
from addons.sso.exceptions import MalformedSSORequest, SSOError
from addons.sso.forms import DashboardTicketForm, SSOLoginForm
from addons.sso.services import authorize_sso_login
from addons.sso.sessions import NAV_DATA_COOKIE, current_sso_session, start_sso_session
from addons.tickets.selectors import requester_tickets
from addons.tickets.services import TicketSource, open_ticket

logger = logging.getLogger(__name__)


def render_refusal(request, error: SSOError, *, status: int = 403):
    """Return the page that tells the person why SSO refused them and what to do."""
    return render(
        request,
        "addons/sso/sso_refused.html",
        {"title": error.title, "error": error},
        status=status,
    )


@csrf_exempt  # Heroku posts this form from its own dashboard; the signed token is the check.
@require_POST
@sensitive_post_parameters("user_scoped_resource_token", "resource_token")
def sso_login(request):
    """Start a dashboard session from Heroku's signed SSO form, or refuse with a 403 page."""
    form = SSOLoginForm(request.POST)
    if not form.is_valid():
        logger.info("SSO login refused: malformed fields %s", sorted(form.errors))
        return render_refusal(request, MalformedSSORequest())
    try:
        login = authorize_sso_login(form.to_sso_request())
    except SSOError as exc:
        logger.info(
            "SSO login to resource %s refused: %s",
            form.cleaned_data["resource_id"],
            type(exc).__name__,
        )
        return render_refusal(request, exc)
    start_sso_session(request, login)
    response = redirect("addons:dashboard", resource_uuid=login.resource.uuid)
    if login.nav_data:
        response.set_cookie(
            NAV_DATA_COOKIE,
            login.nav_data,
            max_age=settings.SSO_SESSION_AGE,
            httponly=True,
            secure=not settings.DEBUG,
            samesite="Lax",
        )
    else:
        response.delete_cookie(NAV_DATA_COOKIE, samesite="Lax")
    return response


class HerokuSSORequiredMixin:
    """Sets `self.sso` to the request's SSO session for the `resource_uuid` URL argument.

    A portal login is not an SSO session: without one for this resource the answer is 403. The
    session is re-checked against the stored access list on every request, so a removal or a
    de-provisioning ends it by the next sync at the latest.
    """

    def dispatch(self, request, *args, **kwargs):
        try:
            self.sso = current_sso_session(request, kwargs["resource_uuid"])
        except SSOError as exc:
            return render_refusal(request, exc)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(resource=self.sso.resource, sso_email=self.sso.email)
        return context


class DashboardView(HerokuSSORequiredMixin, TemplateView):
    """The resource's page for its Heroku user: app, plan, state, config and who can access it."""

    template_name = "addons/sso/dashboard.html"
    access_list_page_size = 100

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        resource = self.sso.resource
        source_labels = dict(AccessGrant.Source.choices)
        # A team can hold thousands of people; the page shows them a page at a time.
        page = Paginator(resource.grants.all(), self.access_list_page_size).get_page(
            self.request.GET.get("page")
        )
        context.update(
            title=f"{resource.addon.name} on {resource.app_name or resource.uuid}",
            rotation=resource.rotations.first(),
            # Only this person's tickets on this resource: a collaborator sees no one else's.
            my_tickets=requester_tickets(resource=resource, email=self.sso.email)[:20],
            config=sorted(resource.config.items()) if isinstance(resource.config, dict) else [],
            access_page=page,
            access_list=[
                (grant, [source_labels.get(source, source) for source in grant.sources])
                for grant in page
            ],
        )
        return context


class DashboardRotateView(HerokuSSORequiredMixin, TemplateView):
    """GET: what a rotation does (the app restarts); POST: rotate the resource's credentials."""

    template_name = "addons/sso/dashboard_rotate.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title="Rotate credentials", overlap_minutes=settings.CREDENTIAL_OVERLAP_SECONDS // 60
        )
        return context

    def post(self, request, *args, **kwargs):
        resource = self.sso.resource
        try:
            request_rotation(
                resource=resource,
                trigger=CredentialRotation.Trigger.CUSTOMER,
                requested_by=self.sso.email,
            )
        except LifecycleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                "Rotation requested. When the new credentials are set, Heroku restarts your app; "
                "the old ones keep working for a while after that.",
            )
        return redirect("addons:dashboard", resource_uuid=resource.uuid)


class DashboardTicketCreateView(HerokuSSORequiredMixin, FormView):
    """Open a support ticket about the resource, as its SSO user."""

    template_name = "addons/sso/dashboard_ticket_form.html"
    form_class = DashboardTicketForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", "Open a support ticket")
        return context

    def form_valid(self, form):
        resource = self.sso.resource
        try:
            ticket = open_ticket(
                addon=resource.addon,
                resource=resource,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                requester_email=self.sso.email,
                source=TicketSource.DASHBOARD,
                # The add-on's own dashboard is its support queue: the company users hear at once.
                escalate=True,
            )
        except (AddonsError, ValidationError) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
            return self.form_invalid(form)
        messages.success(self.request, f"Ticket #{ticket.pk} opened. We will reply by email.")
        return redirect("addons:dashboard", resource_uuid=resource.uuid)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
