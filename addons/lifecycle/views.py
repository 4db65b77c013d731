"""The lifecycle's portal pages: the add-on's service settings, and rotating a resource's
credentials from its page. Thin callers of `addons.lifecycle.services`."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from accounts.permissions import Permission
from addons.lifecycle import services
from addons.lifecycle.exceptions import LifecycleError
from addons.lifecycle.forms import ServiceURLForm
from addons.mixins import AddonMemberMixin
from addons.models import CredentialRotation
from portal.crypto import RevealedSecret


class ServiceSettingsView(AddonMemberMixin, FormView):
    """Where the add-on's lifecycle events go, and whether their signing secret is set."""

    required_permission = Permission.MANAGE_MANIFESTS
    template_name = "addons/lifecycle/service.html"
    form_class = ServiceURLForm
    extra_context = {"title": "Your service"}

    def get_initial(self):
        service = services.service_of(self.addon)
        return {"url": service.url if service else ""}

    def get_context_data(self, **kwargs):
        return super().get_context_data(service=services.service_of(self.addon), **kwargs)

    def form_valid(self, form):
        try:
            services.set_service_url(
                addon=self.addon, url=form.cleaned_data["url"], actor=self.request.user
            )
        except ValidationError as refusal:
            form.add_error(None, refusal)
            return self.form_invalid(form)
        messages.success(self.request, "Saved.")
        return redirect("addons:service", self.addon.slug)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


@method_decorator(never_cache, name="dispatch")
class ServiceSecretView(AddonMemberMixin, TemplateView):
    """GET: a confirmation; POST: a new signing secret, shown on this answer only (audited)."""

    required_permission = Permission.MANAGE_MANIFESTS
    template_name = "addons/lifecycle/service_secret.html"
    extra_context = {"title": "Your service's signing secret"}

    def post(self, request, *args, **kwargs):
        secret = services.generate_service_secret(addon=self.addon, actor=request.user)
        return self.render_to_response(self.get_context_data(secret=RevealedSecret(secret)))


class ResourceRotateView(AddonMemberMixin, TemplateView):
    """GET: a confirmation; POST: rotate the resource's credentials (its app restarts)."""

    required_permission = Permission.MANAGE_MANIFESTS
    template_name = "addons/lifecycle/rotate_confirm.html"

    def get_resource(self):
        return get_object_or_404(
            self.addon.resources.select_related("plan", "addon__company"),
            uuid=self.kwargs["resource_uuid"],
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="Rotate credentials",
            resource=self.get_resource(),
            overlap_minutes=settings.CREDENTIAL_OVERLAP_SECONDS // 60,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        resource = self.get_resource()
        try:
            services.request_rotation(
                resource=resource,
                trigger=CredentialRotation.Trigger.COMPANY_USER,
                requested_by=request.user.email,
                actor=request.user,
            )
        except LifecycleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                "Rotation requested: the new credentials are set on the app, which restarts.",
            )
        return redirect("addons:resource-detail", self.addon.slug, resource.uuid)
