"""Operators' admin for add-ons and their plans, written through addons.manifests.services.

The same validators as the portal's manifest page apply, and every change is audited. Secrets
(the API password, SSO salt, OAuth client secret and intake token) are never shown here.
"""

import re
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from addons.admin.common import AddonsServiceAdminMixin, BoundedJSONField
from addons.manifests import services
from addons.models import Addon, Plan
from addons.templatetags.addons_tags import dollars

SECRET_FIELDS = ("api_password", "sso_salt", "oauth_client_secret", "intake_token_hash")
SETTINGS_FIELDS = ("marketing_description", "billing_email")


class PlanForm(forms.ModelForm):
    """A plan; its slug, the name Heroku knows the plan by, is fixed once the plan exists.

    Operators type the price in dollars; the plan keeps cents.
    """

    price = forms.DecimalField(
        label="Price a month (USD)",
        min_value=Decimal(0),
        max_digits=10,
        decimal_places=2,
        initial=Decimal(0),
        help_text="In dollars, e.g. 25.00.",
    )

    class Meta:
        model = Plan
        fields = ("slug", "name", "visibility")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            cents = Decimal(self.instance.price_cents)
            self.initial.setdefault("price", (cents / 100).quantize(Decimal("0.01")))
        if self.instance.pk and "slug" in self.fields:
            self.fields["slug"].disabled = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("price") is not None:
            cleaned["price_cents"] = int(cleaned["price"] * 100)
        return cleaned


class NameListField(forms.CharField):
    """A list of names (regions, config vars) typed one per line or separated by spaces."""

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return [item for item in re.split(r"[\s,]+", super().to_python(value).strip()) if item]

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


class AddonForm(forms.ModelForm):
    """The add-on's admin form: regions and config vars as lists of names, not JSON."""

    regions = NameListField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line or separated by spaces, e.g. us eu.",
    )
    config_vars = NameListField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, e.g. ACME_SEARCH_URL. Each must start with the prefix.",
    )

    class Meta:
        model = Addon
        fields = ("regions", "config_vars")


class PlanInline(admin.TabularInline):
    model = Plan
    form = PlanForm
    fields = ("slug", "name", "price", "visibility")
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

    form = AddonForm
    # Its page in the portal is for company users: an operator who is not one would get a 404.
    view_on_site = False
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
        changes = {field: data[field] for field in services.MANIFEST_FIELDS}
        if changes["requires"] is None:  # an empty JSON box: the add-on requires nothing
            changes["requires"] = []
        services.update_manifest(addon=obj, actor=request.user, changes=changes)
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
    list_display = ("addon", "slug", "name", "price_display", "visibility")
    list_select_related = ("addon",)
    list_filter = ("visibility",)
    search_fields = ("slug", "name", "addon__slug", "addon__name")
    fields = ("addon", "slug", "name", "price", "visibility")

    @admin.display(description="Price a month", ordering="price_cents")
    def price_display(self, plan):
        return dollars(plan.price_cents)

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
