"""The add-on settings pages: manifest, import and export, secrets, marketing and plans."""

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from accounts.permissions import Permission
from addons.manifests import services
from addons.manifests.forms import ManifestForm, MarketingBillingForm
from addons.manifests.imports import ManifestImportForm
from addons.mixins import AddonMemberMixin
from portal.crypto import RevealedSecret


class ManifestView(AddonMemberMixin, FormView):
    """Edit the manifest's URLs, regions and config vars."""

    required_permission = Permission.MANAGE_MANIFESTS
    template_name = "addons/manifests/manifest.html"
    form_class = ManifestForm
    extra_context = {"title": "Manifest"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "addon": self.addon}

    def form_valid(self, form):
        services.update_manifest(
            addon=self.addon, actor=self.request.user, changes=form.cleaned_data
        )
        messages.success(self.request, "The manifest was saved. Push it to Heroku to apply it.")
        return redirect("addons:manifest", self.addon.slug)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


@method_decorator(sensitive_post_parameters("manifest_json"), name="dispatch")
class ManifestImportView(ManifestView):
    """Replace the manifest's values with those of a v3 manifest JSON."""

    template_name = "addons/manifests/manifest_import.html"
    form_class = ManifestImportForm
    extra_context = {"title": "Import a manifest"}

    def form_valid(self, form):
        services.update_manifest(
            addon=self.addon, actor=self.request.user, changes=form.cleaned_data["changes"]
        )
        messages.success(self.request, "The manifest was imported.")
        for ignored in form.cleaned_data["ignored"]:
            messages.warning(self.request, ignored)
        return redirect("addons:manifest", self.addon.slug)


class ManifestExportView(AddonMemberMixin, TemplateView):
    """POST: download the v3 manifest JSON, which holds the password and SSO salt (audited)."""

    required_permission = Permission.MANAGE_MANIFESTS
    http_method_names = ["post"]

    @method_decorator(never_cache)
    def post(self, request, *args, **kwargs):
        manifest = services.export_manifest(addon=self.addon, actor=request.user)
        response = HttpResponse(
            json.dumps(manifest, indent=2) + "\n", content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.addon.slug}-manifest.json"'
        return response


class ConfirmedActionView(AddonMemberMixin, TemplateView):
    """GET: a confirmation page; POST: the action. Nothing changes on GET."""

    template_name = "addons/manifests/confirm.html"
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
        services.regenerate_api_password(addon=self.addon, actor=request.user)
        messages.success(
            request, "A new password was generated. Export the manifest and push it to Heroku."
        )
        return redirect("addons:manifest", self.addon.slug)


@method_decorator(never_cache, name="dispatch")
class OAuthSecretView(AddonMemberMixin, TemplateView):
    """GET: the page, never the secret; POST: show the secret once, on the answer (audited)."""

    required_permission = Permission.OAUTH_SECRETS
    template_name = "addons/manifests/oauth_secret.html"
    extra_context = {"title": "OAuth client secret"}

    def post(self, request, *args, **kwargs):
        secret = services.reveal_oauth_secret(addon=self.addon, actor=request.user)
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
        secret = services.reset_oauth_secret(addon=self.addon, actor=request.user)
        context = self.get_context_data(secret=RevealedSecret(secret), reset=True)
        context["title"] = "OAuth client secret"
        return self.response_class(
            request=request,
            template=["addons/manifests/oauth_secret.html"],
            context=context,
            using=self.template_engine,
        )


class MarketingBillingView(AddonMemberMixin, FormView):
    required_permission = Permission.MARKETING_BILLING
    template_name = "addons/manifests/marketing.html"
    form_class = MarketingBillingForm
    extra_context = {"title": "Marketing and billing"}

    def get_initial(self):
        return {
            "marketing_description": self.addon.marketing_description,
            "billing_email": self.addon.billing_email,
        }

    def form_valid(self, form):
        services.update_marketing_and_billing(
            addon=self.addon, actor=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, "Saved.")
        return redirect("addons:marketing", self.addon.slug)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PlanInstallView(AddonMemberMixin, TemplateView):
    """The public and hidden plans at list price, and how to install them."""

    required_permission = Permission.INSTALL_PLANS
    template_name = "addons/manifests/plans.html"
    extra_context = {"title": "Install plans"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(plans=self.addon.plans.all(), **kwargs)
