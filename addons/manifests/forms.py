"""Forms of the add-on settings pages. They validate; `addons.manifests.services` writes."""

import re

from django import forms
from django.core.exceptions import ValidationError

from accounts.addresses import validate_email_address
from addons.manifests.validators import (
    validate_cli_plugin_name,
    validate_config_var_name_prefix,
    validate_config_var_names,
    validate_config_vars_start_with,
    validate_production_url,
    validate_region_names,
    validate_requirements,
    validate_test_url,
)
from addons.models import Addon
from portal.text import validate_storable


class ProductionURLField(forms.URLField):
    """A manifest URL; `validate_production_url` runs Django's URL validator after its own checks,
    so that a URL Python cannot even split gets one message, not two."""

    default_validators = []


def _lines(value: str) -> list[str]:
    return [item for item in re.split(r"[\s,]+", value.strip()) if item]


class ManifestForm(forms.Form):
    """The manifest fields a company user edits (the password has its own confirmation page)."""

    base_url = ProductionURLField(
        label="Partner API URL (base_url)",
        max_length=200,
        validators=[validate_production_url],
        assume_scheme="https",
        help_text="The portal's address and /heroku/resources, e.g. https://portal.example.com/heroku/resources.",
    )
    sso_url = ProductionURLField(
        label="SSO URL (sso_url)",
        max_length=200,
        validators=[validate_production_url],
        assume_scheme="https",
        help_text="The portal's address and /sso/login, e.g. https://portal.example.com/sso/login.",
    )
    test_base_url = forms.URLField(
        label="Test Partner API URL (test.base_url)",
        max_length=200,
        required=False,
        validators=[validate_test_url],
        assume_scheme="https",
        help_text="Where a test of the add-on calls: a staging portal's /heroku/resources, or "
        "your machine's. Empty: the production URL.",
    )
    test_sso_url = forms.URLField(
        label="Test SSO URL (test.sso_url)",
        max_length=200,
        required=False,
        validators=[validate_test_url],
        assume_scheme="https",
        help_text="A staging portal's /sso/login, or your machine's. Empty: the production URL.",
    )
    regions = forms.CharField(
        label="Regions",
        required=False,  # the validator says why a region is needed
        help_text="Separated by spaces, commas or new lines, e.g. us eu. Heroku requires us.",
    )
    requires = forms.CharField(
        label="Requires",
        required=False,
        help_text="What the add-on asks of Heroku, e.g. log_input syslog_drain. Empty: nothing.",
    )
    cli_plugin_name = forms.CharField(
        label="CLI plugin (cli_plugin_name)",
        max_length=214,
        required=False,
        validators=[validate_cli_plugin_name],
        help_text="The npm package of the add-on's Heroku CLI plugin, if it has one.",
    )
    config_vars_prefix = forms.CharField(
        label="Config var prefix",
        max_length=40,
        required=False,
        help_text="Upper case, e.g. ACME_SEARCH. Empty: the add-on id upper-cased.",
    )
    config_vars = forms.CharField(
        label="Config vars",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, e.g. ACME_SEARCH_URL. Each must start with the prefix.",
    )

    def __init__(self, *args, addon, **kwargs):
        self.addon = addon
        # FormView always passes `initial` (empty by default): the add-on's values fill it in.
        kwargs["initial"] = {
            "base_url": addon.base_url,
            "sso_url": addon.sso_url,
            "test_base_url": addon.test_base_url,
            "test_sso_url": addon.test_sso_url,
            "regions": " ".join(addon.regions),
            "requires": " ".join(addon.requires),
            "cli_plugin_name": addon.cli_plugin_name,
            "config_vars_prefix": addon.config_vars_prefix,
            "config_vars": "\n".join(addon.config_vars),
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)

    def clean_regions(self):
        regions = _lines(self.cleaned_data["regions"])
        validate_region_names(regions)
        return list(dict.fromkeys(regions))

    def clean_requires(self):
        names = _lines(self.cleaned_data["requires"])
        validate_requirements(names)
        return list(dict.fromkeys(names))

    def clean_cli_plugin_name(self):
        return self.cleaned_data["cli_plugin_name"].strip()

    def clean_config_vars_prefix(self):
        prefix = self.cleaned_data["config_vars_prefix"].strip()
        validate_config_var_name_prefix(prefix)
        return prefix

    def clean_config_vars(self):
        names = _lines(self.cleaned_data["config_vars"])
        validate_config_var_names(names)
        return list(dict.fromkeys(names))

    def clean(self):
        cleaned = super().clean()
        # A test URL equal to the production one is stored empty: "the production URL".
        for test, production in (("test_base_url", "base_url"), ("test_sso_url", "sso_url")):
            if cleaned.get(test) and cleaned.get(test) == cleaned.get(production):
                cleaned[test] = ""
        names = cleaned.get("config_vars")
        if names and "config_vars_prefix" in cleaned:
            # The prefix in effect once saved: the new one, or (empty) the id upper-cased.
            prefix = Addon(
                slug=self.addon.slug, config_vars_prefix=cleaned["config_vars_prefix"]
            ).effective_config_vars_prefix
            try:
                validate_config_vars_start_with(names, prefix)
            except ValidationError as refusal:
                self.add_error("config_vars", refusal)
        return cleaned


class MarketingBillingForm(forms.Form):
    marketing_description = forms.CharField(
        label="Marketing description",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        validators=[validate_storable],
    )
    billing_email = forms.EmailField(
        label="Billing email", required=False, validators=[validate_email_address]
    )
