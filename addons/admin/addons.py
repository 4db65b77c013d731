"""Operators' admin for add-ons and their plans, written through addons.manifests.services.

The same validators as the portal's manifest page apply, and every change is audited. Secrets
(the API password, SSO salt, OAuth client secret and intake token) are never shown here.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from addons.admin.common import AddonsServiceAdminMixin, BoundedJSONField
from addons.manifests import services
from addons.models import Addon, Plan

SECRET_FIELDS = ("api_password", "sso_salt", "oauth_client_secret", "intake_token_hash")
SETTINGS_FIELDS = ("marketing_description", "billing_email")


class PlanForm(forms.ModelForm):
    """A plan; its slug, the name Heroku knows the plan by, is fixed once the plan exists."""

    class Meta:
        model = Plan
        fields = ("slug", "name", "price_cents", "visibility")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "slug" in self.fields:
            self.fields["slug"].disabled = True


class PlanInline(admin.TabularInline):
    model = Plan
    form = PlanForm
    fields = ("slug", "name", "price_cents", "visibility")
    extra = 0


def _plan_values(data: dict) -> dict:
    return {
        "name": data["name"],
        "price_cents": data["price_cents"],
        "visibility": data["visibility"],
    }


def save_plans(formset, *, addon: Addon, actor) -> None:
    """Apply the plan inline FORMSET of ADDON through the plan services.

    Fills in what Django's `formset.save()` would, for the admin's change message.
    """
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    deleted = set(formset.deleted_forms)
    for plan_form in formset.forms:
        plan, data = plan_form.instance, plan_form.cleaned_data
        try:
            if plan_form in deleted and plan.pk:
                services.delete_plan(plan=plan, actor=actor)
                formset.deleted_objects.append(plan)
            elif plan_form in deleted or not plan_form.has_changed():
                continue
            elif plan.pk:
                services.update_plan(plan=plan, actor=actor, **_plan_values(data))
                formset.changed_objects.append((plan, plan_form.changed_data))
            else:
                plan = services.create_plan(
                    addon=addon, slug=data["slug"], actor=actor, **_plan_values(data)
                )
                formset.new_objects.append(plan)
        except ValidationError as refusal:  # shown above the add-on's form: name the plan
            slug = plan.slug or data.get("slug", "")
            raise ValidationError([f"Plan {slug}: {m}" for m in refusal.messages]) from None


@admin.register(Addon)
class AddonAdmin(AddonsServiceAdminMixin, admin.ModelAdmin):
    """Add an add-on (company, id, name), then edit its manifest, settings and plans."""

    list_display = ("name", "slug", "company", "created_at")
    list_select_related = ("company",)
    search_fields = ("name", "slug", "company__name")
    inlines = [PlanInline]
    formfield_overrides = {models.JSONField: {"form_class": BoundedJSONField}}

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["company", "slug", "name"]
        return [
            "company",
            "slug",
            *services.MANIFEST_FIELDS,
            *SETTINGS_FIELDS,
            "created_at",
            "updated_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        # The id is the Partner API username and the manifest's id at Heroku: it never changes.
        return ["company", "slug", "created_at", "updated_at"] if obj is not None else []

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)  # unsaved; save_model applies it
        data = form.cleaned_data
        return services.create_addon(
            company=data["company"], slug=data["slug"], name=data["name"], actor=request.user
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return  # create_addon saved it in save_form
        data = form.cleaned_data
        services.update_manifest(
            addon=obj,
            actor=request.user,
            changes={field: data[field] for field in services.MANIFEST_FIELDS},
        )
        services.update_marketing_and_billing(
            addon=obj, actor=request.user, **{field: data[field] for field in SETTINGS_FIELDS}
        )

    def save_formset(self, request, form, formset, change):
        save_plans(formset, addon=form.instance, actor=request.user)

    def delete_model(self, request, obj):
        services.delete_addon(addon=obj, actor=request.user)


@admin.register(Plan)
class PlanAdmin(AddonsServiceAdminMixin, admin.ModelAdmin):
    form = PlanForm
    list_display = ("addon", "slug", "name", "price_cents", "visibility")
    list_select_related = ("addon",)
    list_filter = ("visibility",)
    search_fields = ("slug", "name", "addon__slug", "addon__name")
    fields = ("addon", "slug", "name", "price_cents", "visibility")

    def get_readonly_fields(self, request, obj=None):
        return ("addon", "slug") if obj is not None else ()

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)  # unsaved; save_model applies it
        data = form.cleaned_data
        return services.create_plan(
            addon=data["addon"], slug=data["slug"], actor=request.user, **_plan_values(data)
        )

    def save_model(self, request, obj, form, change):
        if change:
            data = form.cleaned_data
            services.update_plan(plan=obj, actor=request.user, **_plan_values(data))
        # An added plan was created by save_form.

    def delete_model(self, request, obj):
        services.delete_plan(plan=obj, actor=request.user)
