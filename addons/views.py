"""Views of the add-ons app. Each view reads the request, calls one service and answers."""

import json
import logging
import time

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, ListView, TemplateView

from accounts.mixins import get_membership, require_permission
from accounts.models import CompanyUser
from accounts.permissions import Permission
from addons import intake, manifests, provisioning, tickets
from addons.exceptions import IntakeError, PartnerAPIError, PartnerAuthError, TicketError
from addons.forms import (
    ManifestForm,
    ManifestImportForm,
    MarketingBillingForm,
    TicketAssignForm,
    TicketFilterForm,
    TicketMessageForm,
    TicketPriorityForm,
    TicketStatusForm,
)
from addons.models import Addon, AddonResource, Ticket
from portal.crypto import RevealedSecret


class TicketListView(LoginRequiredMixin, ListView):
    """The tickets of every company where the user holds support_tickets, filterable."""

    template_name = "addons/ticket_list.html"
    context_object_name = "tickets"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.memberships = list(
            CompanyUser.objects.filter(user=request.user)
            .with_permission(Permission.SUPPORT_TICKETS)
            .select_related("company")
        )
        if not self.memberships:
            raise PermissionDenied(
                f"You need the “{Permission.SUPPORT_TICKETS.label}” right at a company "
                "for this page."
            )
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        companies = [m.company_id for m in self.memberships]
        self.filter_form = TicketFilterForm(
            self.request.GET or None,
            addons=Addon.objects.filter(company__in=companies).order_by("name"),
        )
        tickets = Ticket.objects.filter(addon__company__in=companies).select_related(
            "addon", "resource"
        )
        return self.filter_form.filter(tickets)

    def get_context_data(self, **kwargs):
        filters = self.request.GET.copy()
        filters.pop("page", None)
        return super().get_context_data(
            title="Support tickets",
            filter_form=self.filter_form,
            filter_query=filters.urlencode(),
            memberships=self.memberships,
            **kwargs,
        )


class TicketDetailView(LoginRequiredMixin, TemplateView):
    """One ticket with its history; POST adds a reply or note, or changes status or priority."""

    template_name = "addons/ticket_detail.html"
    forms = {
        "message": TicketMessageForm,
        "status": TicketStatusForm,
        "priority": TicketPriorityForm,
        "assign": TicketAssignForm,
    }

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.ticket = get_object_or_404(
            Ticket.objects.select_related("addon__company", "resource"), pk=kwargs["pk"]
        )
        # Not a user of the ticket's company: 404, so that ticket numbers leak nothing.
        membership = get_membership(request.user, self.ticket.addon.company.slug)
        require_permission(membership, Permission.SUPPORT_TICKETS)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        forms = {
            "message_form": TicketMessageForm(),
            "status_form": TicketStatusForm(initial={"status": self.ticket.status}),
            "priority_form": TicketPriorityForm(initial={"priority": self.ticket.priority}),
            "assign_form": TicketAssignForm(
                ticket=self.ticket, initial={"assignee": self.ticket.assignee_id}
            ),
        }
        forms.update(kwargs)
        return super().get_context_data(
            title=f"Ticket #{self.ticket.number}: {self.ticket.subject}",
            ticket=self.ticket,
            events=self.ticket.events.select_related("actor"),
            is_closed=self.ticket.status == Ticket.Status.CLOSED,
            **forms,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in self.forms:
            messages.error(request, "Unknown action.")
            return redirect(self.ticket)
        extra = {"ticket": self.ticket} if action == "assign" else {}
        form = self.forms[action](request.POST, **extra)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(**{f"{action}_form": form}), status=400
            )
        try:
            notice = self.apply(action, form.cleaned_data)
        except (TicketError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            return self.render_to_response(
                self.get_context_data(**{f"{action}_form": form}), status=400
            )
        messages.success(request, notice)
        return redirect(self.ticket)

    def apply(self, action: str, data: dict) -> str:
        user = self.request.user
        if action == "message" and data["visibility"] == "internal":
            tickets.add_internal_note(ticket=self.ticket, body=data["body"], actor=user)
            return "Internal note added."
        if action == "message":
            tickets.reply_to_ticket(ticket=self.ticket, body=data["body"], actor=user)
            return "Reply sent."
        if action == "status":
            tickets.change_ticket_status(ticket=self.ticket, status=data["status"], actor=user)
            return "Status changed."
        if action == "priority":
            tickets.change_ticket_priority(
                ticket=self.ticket, priority=data["priority"], actor=user
            )
            return "Priority changed."
        tickets.assign_ticket(ticket=self.ticket, assignee=data["assignee"], actor=user)
        return "Assignee changed."


@method_decorator(csrf_exempt, name="dispatch")
class TicketIntakeView(View):
    """`POST /tickets/intake`: a support tool opens a ticket with its add-on's bearer token."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            token = intake.bearer_token(request.headers.get("Authorization", ""))
            if request.content_type not in ("application/json", ""):
                raise IntakeError("Send the ticket as Content-Type: application/json.", status=415)
            payload = intake.read_payload(_read_at_most(request, intake.MAX_BODY_BYTES))
            addon = intake.authenticate(payload, token)
            ticket_request = intake.validate_payload(payload, addon=addon)
            ticket = tickets.open_ticket(
                addon=addon,
                resource=ticket_request.resource,
                subject=ticket_request.subject,
                body=ticket_request.body,
                requester_email=ticket_request.requester_email,
                priority=ticket_request.priority,
                escalate=ticket_request.escalate,
                source=tickets.TicketSource.INTAKE,
            )
        except IntakeError as exc:
            response = JsonResponse({"message": str(exc)}, status=exc.status)
            if exc.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="ticket intake"'
            return response
        except (TicketError, ValidationError) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            return JsonResponse({"message": message}, status=422)
        response = JsonResponse({"id": ticket.pk, "number": ticket.number}, status=201)
        response["Location"] = ticket.get_absolute_url()
        return response

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = JsonResponse({"message": "Use POST."}, status=405)
        response["Allow"] = "POST"
        return response


def _read_at_most(request, limit: int) -> bytes:
    # Refuse by the declared length before reading, and never read more than LIMIT + 1 bytes of a
    # body without one.
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise IntakeError("Content-Length is not a number.", status=400) from None
    if declared > limit:
        raise IntakeError(f"The request body is larger than {limit} bytes.", status=413)
    return request.read(limit + 1)


logger = logging.getLogger(__name__)


# Add-on Partner API (Heroku calls these) -------------------------------------------------------
PARTNER_API_REALM = 'Basic realm="Heroku Add-on Partner API", charset="UTF-8"'


class _PartnerCall:
    """What the call log records about one call, filled in as it becomes known."""

    def __init__(self, resource_uuid: str = ""):
        self.resource_uuid = resource_uuid


def _serve_partner_call(request, handler, *, allowed: list[str], resource_uuid: str = ""):
    """Authenticate REQUEST, run HANDLER(request, addon, call) → (status, body, outcome), log it.

    Every call is recorded in the call log, whatever its outcome. A service's own transaction
    rolls back whatever it wrote when it fails, so a failed call leaves no half-written row.
    """
    started = time.monotonic()
    call = _PartnerCall(resource_uuid)
    addon, headers = None, {}
    try:
        addon = provisioning.authenticate_partner(request.headers.get("Authorization", ""))
        if request.method not in allowed:
            headers["Allow"] = ", ".join(allowed)
            status, body = 405, {"message": f"Use {' or '.join(allowed)}."}
            outcome = "method not allowed"
        else:
            status, body, outcome = handler(request, addon, call)
    except PartnerAuthError as exc:
        addon = getattr(exc, "addon", None)
        headers["WWW-Authenticate"] = PARTNER_API_REALM
        status, body, outcome = exc.status, {"message": exc.message}, exc.outcome
    except PartnerAPIError as exc:
        status, body, outcome = exc.status, {"message": exc.message}, exc.outcome
    except Exception:
        # A fault of ours, not of the request: Heroku retries, and the operator sees the log.
        logger.exception("Partner API %s %s failed", request.method, request.path)
        status, body = 500, {"message": "The add-on could not complete the request; retry later."}
        outcome = "internal error"
    response = HttpResponse(status=204) if body is None else JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    provisioning.record_partner_call(
        addon=addon,
        method=request.method,
        path=request.path,
        resource_uuid=call.resource_uuid,
        status_code=status,
        outcome=outcome,
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    return response


def _request_json(request) -> dict:
    try:
        content_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        content_length = 0
    if content_length > provisioning.MAX_BODY_BYTES:
        # Refused before the body is read.
        return provisioning.read_json_object(b"", content_length=content_length)
    return provisioning.read_json_object(request.body)


def _provision(request, addon, call):
    data = _request_json(request)
    if isinstance(data.get("uuid"), str):
        call.resource_uuid = data["uuid"]
    provision_request = provisioning.ProvisionRequest.from_json(data)
    result = provisioning.provision_resource(addon=addon, request=provision_request)
    resource = result.resource
    if not result.created:
        outcome = "repeated delivery: answered as before"
    elif resource.grant_error:
        outcome = "provisioned; grant exchange failed, "
        outcome += "retry scheduled" if resource.grant_code else "not retried"
    elif resource.access_token:
        outcome = "provisioned; tokens stored"
    else:
        outcome = "provisioned without an OAuth grant"
    return 200, result.answer(), outcome


def _change_plan_or_deprovision(request, addon, call):
    resource_uuid = provisioning.parse_resource_path_uuid(addon, call.resource_uuid)
    if request.method == "DELETE":
        provisioning.deprovision_resource(addon=addon, resource_uuid=resource_uuid)
        return 204, None, "deprovisioned"
    plan_name = provisioning.parse_plan_change(_request_json(request))
    resource = provisioning.change_plan(
        addon=addon, resource_uuid=resource_uuid, plan_name=plan_name
    )
    body = {"message": f"Your plan is now {resource.plan.name}.", "config": resource.config}
    return 200, body, f"plan is {resource.plan.slug}"


@csrf_exempt
def partner_resources(request):
    """POST /heroku/resources: provision a resource."""
    return _serve_partner_call(request, _provision, allowed=["POST"])


@csrf_exempt
def partner_resource(request, resource_uuid: str):
    """PUT or DELETE /heroku/resources/<uuid>: change the plan of or de-provision a resource."""
    return _serve_partner_call(
        request,
        _change_plan_or_deprovision,
        allowed=["PUT", "DELETE"],
        resource_uuid=resource_uuid,
    )


# The add-on's settings in the portal (issue 4) ------------------------------------------------
RESOURCES_PER_PAGE = 100


class AddonMemberMixin(LoginRequiredMixin):
    """Sets `self.addon` and `self.membership` from the add-on slug in the URL.

    The add-on's company decides: a person who is not one of its users gets 404 (as for an
    add-on that does not exist), one who lacks `required_permission` gets 403.
    """

    required_permission = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.addon = get_object_or_404(Addon.objects.select_related("company"), slug=kwargs["slug"])
        self.membership = get_membership(request.user, self.addon.company.slug)
        if self.required_permission is not None:
            require_permission(self.membership, self.required_permission)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            addon=self.addon,
            company=self.addon.company,
            membership=self.membership,
            can={p.value: self.membership.has_permission(p) for p in Permission},
        )
        return context


class AddonListView(LoginRequiredMixin, TemplateView):
    """The add-ons of every company the person is a user of."""

    template_name = "addons/addon_list.html"
    extra_context = {"title": "Add-ons"}

    def get_context_data(self, **kwargs):
        companies = CompanyUser.objects.filter(user=self.request.user).values("company")
        addons = (
            Addon.objects.filter(company__in=companies)
            .select_related("company")
            .annotate(
                provisioned=Count(
                    "resources", filter=Q(resources__state=AddonResource.State.PROVISIONED)
                )
            )
        )
        return super().get_context_data(addons=addons, **kwargs)


class AddonDetailView(AddonMemberMixin, TemplateView):
    """The add-on: its plans and its resources, with their access-list and grant status."""

    template_name = "addons/addon_detail.html"

    def get_context_data(self, **kwargs):
        resources = (
            self.addon.resources.select_related("plan")
            .defer("access_token", "refresh_token", "grant_code", "options")
            .order_by("-created_at", "-id")
        )
        page = Paginator(resources, RESOURCES_PER_PAGE).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            title=self.addon.name,
            plans=self.addon.plans.all(),
            page=page,
            resources=page.object_list,
            grant_failures=self.addon.resources.exclude(grant_error="").count(),
            **kwargs,
        )


class ResourceDetailView(AddonMemberMixin, TemplateView):
    """One resource of the add-on: its state, access-list status and grant error."""

    template_name = "addons/resource_detail.html"

    def get_context_data(self, **kwargs):
        resource = get_object_or_404(
            self.addon.resources.select_related("plan").defer(
                "access_token", "refresh_token", "grant_code"
            ),
            uuid=self.kwargs["resource_uuid"],
        )
        return super().get_context_data(
            title=f"Resource {resource}",
            resource=resource,
            call_log=self.addon.api_calls.filter(resource_uuid=str(resource.uuid))[:20],
            **kwargs,
        )


class ManifestView(AddonMemberMixin, FormView):
    """Edit the manifest's URLs, regions and config vars."""

    required_permission = Permission.MANAGE_MANIFESTS
    template_name = "addons/manifest.html"
    form_class = ManifestForm
    extra_context = {"title": "Manifest"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "addon": self.addon}

    def form_valid(self, form):
        manifests.update_manifest(
            addon=self.addon, actor=self.request.user, changes=form.cleaned_data
        )
        messages.success(self.request, "The manifest was saved. Push it to Heroku to apply it.")
        return redirect("addons:manifest", self.addon.slug)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


@method_decorator(sensitive_post_parameters("manifest_json"), name="dispatch")
class ManifestImportView(ManifestView):
    """Replace the manifest's values with those of a v3 manifest JSON."""

    template_name = "addons/manifest_import.html"
    form_class = ManifestImportForm
    extra_context = {"title": "Import a manifest"}

    def form_valid(self, form):
        manifests.update_manifest(
            addon=self.addon, actor=self.request.user, changes=form.cleaned_data["changes"]
        )
        messages.success(self.request, "The manifest was imported.")
        return redirect("addons:manifest", self.addon.slug)


class ManifestExportView(AddonMemberMixin, TemplateView):
    """POST: download the v3 manifest JSON, which holds the password and SSO salt (audited)."""

    required_permission = Permission.MANAGE_MANIFESTS
    http_method_names = ["post"]

    @method_decorator(never_cache)
    def post(self, request, *args, **kwargs):
        manifest = manifests.export_manifest(addon=self.addon, actor=request.user)
        response = HttpResponse(
            json.dumps(manifest, indent=2) + "\n", content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.addon.slug}-manifest.json"'
        return response


class ConfirmedActionView(AddonMemberMixin, TemplateView):
    """GET: a confirmation page; POST: the action. Nothing changes on GET."""

    template_name = "addons/confirm.html"
    question = ""
    confirm_label = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.title, question=self.question, confirm_label=self.confirm_label, **kwargs
        )


class PasswordRegenerateView(ConfirmedActionView):
    required_permission = Permission.MANAGE_MANIFESTS
    title = "Regenerate the Partner API password"
    question = (
        "Heroku keeps calling with the old password until you push the new manifest: "
        "provisioning fails in between. Regenerate the password?"
    )
    confirm_label = "Regenerate the password"

    def post(self, request, *args, **kwargs):
        manifests.regenerate_api_password(addon=self.addon, actor=request.user)
        messages.success(
            request, "A new password was generated. Export the manifest and push it to Heroku."
        )
        return redirect("addons:manifest", self.addon.slug)


@method_decorator(never_cache, name="dispatch")
class OAuthSecretView(AddonMemberMixin, TemplateView):
    """GET: the page, never the secret; POST: show the secret once, on the answer (audited)."""

    required_permission = Permission.OAUTH_SECRETS
    template_name = "addons/oauth_secret.html"
    extra_context = {"title": "OAuth client secret"}

    def post(self, request, *args, **kwargs):
        secret = manifests.reveal_oauth_secret(addon=self.addon, actor=request.user)
        return self.render_to_response(self.get_context_data(secret=RevealedSecret(secret)))


@method_decorator(never_cache, name="dispatch")
class OAuthSecretResetView(ConfirmedActionView):
    required_permission = Permission.OAUTH_SECRETS
    title = "Reset the OAuth client secret"
    question = (
        "The current secret stops working at once: grants sent with it can no longer be "
        "exchanged until Heroku has the new one. Reset the secret?"
    )
    confirm_label = "Reset the secret"

    def post(self, request, *args, **kwargs):
        secret = manifests.reset_oauth_secret(addon=self.addon, actor=request.user)
        context = self.get_context_data(secret=RevealedSecret(secret), reset=True)
        context["title"] = "OAuth client secret"
        return self.response_class(
            request=request,
            template=["addons/oauth_secret.html"],
            context=context,
            using=self.template_engine,
        )


class MarketingBillingView(AddonMemberMixin, FormView):
    required_permission = Permission.MARKETING_BILLING
    template_name = "addons/marketing.html"
    form_class = MarketingBillingForm
    extra_context = {"title": "Marketing and billing"}

    def get_initial(self):
        return {
            "marketing_description": self.addon.marketing_description,
            "billing_email": self.addon.billing_email,
        }

    def form_valid(self, form):
        manifests.update_marketing_and_billing(
            addon=self.addon, actor=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, "Saved.")
        return redirect("addons:marketing", self.addon.slug)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PlanInstallView(AddonMemberMixin, TemplateView):
    """The public and hidden plans at list price, and how to install them."""

    required_permission = Permission.INSTALL_PLANS
    template_name = "addons/plans.html"
    extra_context = {"title": "Install plans"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(plans=self.addon.plans.all(), **kwargs)
