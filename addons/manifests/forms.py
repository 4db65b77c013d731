"""Forms of the add-on settings pages. They validate; `addons.manifests.services` writes."""

import re

from django import forms
from django.core.exceptions import ValidationError

from accounts.addresses import validate_email_address
from addons.manifests.validators import (
    validate_config_var_name_prefix,
    validate_config_var_names,
    validate_config_vars_start_with,
    validate_production_url,
    validate_region_names,
    validate_secret,
)
from addons.models import Addon
from portal import json_input
from portal.text import text_problem, validate_storable

MAX_MANIFEST_BYTES = 64 * 1024


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
    regions = forms.CharField(
        label="Regions",
        required=False,
        help_text="Separated by spaces, commas or new lines, e.g. us eu.",
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
            "regions": " ".join(addon.regions),
            "config_vars_prefix": addon.config_vars_prefix,
            "config_vars": "\n".join(addon.config_vars),
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)

    def clean_regions(self):
        regions = _lines(self.cleaned_data["regions"])
        validate_region_names(regions)
        return list(dict.fromkeys(regions))

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


class ManifestImportForm(forms.Form):
    """A v3 manifest as JSON, pasted or uploaded; validated as the manifest page validates."""

    manifest_json = forms.CharField(
        label="Manifest JSON",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Paste the JSON of `heroku addons:admin:manifest:pull`, or upload the file.",
    )
    manifest_file = forms.FileField(label="Or upload manifest file", required=False)

    # Where each manifest value goes: (path in the JSON, field of ManifestForm or the add-on).
    PATHS = {
        "base_url": "api.production.base_url",
        "sso_url": "api.production.sso_url",
        "regions": "api.regions",
        "config_vars_prefix": "api.config_vars_prefix",
        "config_vars": "api.config_vars",
    }

    def __init__(self, *args, addon, **kwargs):
        self.addon = addon
        super().__init__(*args, **kwargs)

    def _read_text(self) -> str:
        upload = self.cleaned_data.get("manifest_file")
        text = self.cleaned_data.get("manifest_json", "").strip()
        if upload and text:
            raise ValidationError("Paste the manifest or upload it, not both.")
        if upload:
            if upload.size > MAX_MANIFEST_BYTES:
                raise ValidationError("The file is too large to be a manifest.")
            try:
                return upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError("The file is not UTF-8 text.") from None
        if not text:
            raise ValidationError("Paste the manifest JSON or upload the manifest file.")
        return text

    def clean(self):
        super().clean()
        if self.errors:
            return self.cleaned_data
        text = self._read_text()
        try:
            data = json_input.loads(text)
        except json_input.NestingTooDeep as exc:
            where = exc.dotted_path or "The manifest"
            raise ValidationError(
                f"{where}: nests arrays and objects more than {exc.limit} levels deep."
            ) from None
        except json_input.NumberOutOfRange as exc:
            raise ValidationError(str(exc)) from None
        except ValueError:
            raise ValidationError("This is not valid JSON.") from None
        if not isinstance(data, dict) or not isinstance(data.get("api"), dict):
            raise ValidationError("A v3 manifest is a JSON object with an “api” object.")
        self.cleaned_data["changes"] = self._changes(data)
        return self.cleaned_data

    def _changes(self, data: dict) -> dict:
        """Return the add-on fields DATA (a v3 manifest) sets; raise every problem at once."""
        api = data["api"]
        errors = self._envelope_errors(data)
        values = self._manifest_values(api, errors)
        form = ManifestForm(
            data={
                **values,
                "regions": " ".join(values["regions"]),
                "config_vars": "\n".join(values["config_vars"]),
            },
            addon=self.addon,
        )
        changes = {}
        if form.is_valid():
            changes.update(form.cleaned_data)
        else:
            for field, messages in form.errors.items():
                errors += [f"{self.PATHS.get(field, field)}: {message}" for message in messages]
        changes.update(self._name_change(data, errors))
        changes.update(self._secret_changes(api, errors))
        if errors:
            raise ValidationError(errors)
        return changes

    def _envelope_errors(self, data: dict) -> list[str]:
        """Return what is wrong with the manifest's id, version and production block."""
        errors = []
        if data.get("id") != self.addon.slug:
            errors.append(f"id: must be “{self.addon.slug}”, the id of this add-on.")
        if str(data["api"].get("version", "3")) != "3":
            errors.append("api.version: only version 3 manifests can be imported.")
        if not isinstance(data["api"].get("production"), dict):
            errors.append("api.production: must be an object with base_url and sso_url.")
        return errors

    def _manifest_values(self, api: dict, errors: list[str]) -> dict:
        """Return the manifest fields of API, each of the right type or empty (ERRORS says why)."""
        production = api.get("production") if isinstance(api.get("production"), dict) else {}
        values = {
            "base_url": production.get("base_url", ""),
            "sso_url": production.get("sso_url", ""),
            "regions": api.get("regions", []),
            "config_vars_prefix": api.get("config_vars_prefix", ""),
            "config_vars": api.get("config_vars", []),
        }
        for key in ("regions", "config_vars"):
            if not isinstance(values[key], list) or not all(
                isinstance(v, str) for v in values[key]
            ):
                errors.append(f"{self.PATHS[key]}: must be a list of strings.")
                values[key] = []
        for key in ("base_url", "sso_url", "config_vars_prefix"):
            if not isinstance(values[key], str):
                errors.append(f"{self.PATHS[key]}: must be a string.")
                values[key] = ""
        for key, value in values.items():
            # Checked as written in the manifest, before the manifest form joins and splits them.
            problem = _text_problem(value)
            if problem:
                errors.append(f"{self.PATHS[key]}: {problem}.")
                values[key] = [] if isinstance(value, list) else ""
        return values

    def _name_change(self, data: dict, errors: list[str]) -> dict:
        name = data.get("name")
        if name is None:
            return {}
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            errors.append("name: must be a non-empty string of at most 100 characters.")
            return {}
        problem = _text_problem(name)
        if problem:
            errors.append(f"name: {problem}.")
            return {}
        return {"name": name.strip()}

    def _secret_changes(self, api: dict, errors: list[str]) -> dict:
        changes = {}
        for key, field in (("password", "api_password"), ("sso_salt", "sso_salt")):
            value = api.get(key)
            if value is None:
                continue
            try:
                validate_secret(value)
            except ValidationError as refusal:
                errors += [f"api.{key}: {message}" for message in refusal.messages]
            else:
                changes[field] = value
        return changes


def _text_problem(value: str | list[str]) -> str | None:
    """Return what breaks the one-line rule in VALUE (a string or each string of a list)."""
    for item in value if isinstance(value, list) else [value]:
        problem = text_problem(item, one_line=True)
        if problem:
            return problem
    return None
