"""Import a v3 manifest in the format of `heroku addons:admin:manifest:pull`.

Every field the portal keeps is read and validated as the manifest page validates it (the values
go through `ManifestForm`); the export (`services.manifest_json`) writes them back, so that
export, import and export again give the same JSON. A field the portal does not keep is named in
`ignored`, with why, and left out; a bad value refuses the whole import, every problem named by
its path in the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError

from addons.manifests.forms import ManifestForm
from addons.manifests.validators import validate_manifest_base, validate_secret
from portal import json_input
from portal.text import text_problem

MAX_MANIFEST_BYTES = 64 * 1024

# Where each field of ManifestForm is in the JSON.
PATHS = {
    "base_url": "api.production.base_url",
    "sso_url": "api.production.sso_url",
    "test_base_url": "api.test.base_url",
    "test_sso_url": "api.test.sso_url",
    "regions": "api.regions",
    "requires": "api.requires",
    "config_vars_prefix": "api.config_vars_prefix",
    "config_vars": "api.config_vars",
    "cli_plugin_name": "cli_plugin_name",
}
LIST_FIELDS = ("regions", "requires", "config_vars")

# The keys the portal reads, by object; any other is named in `ignored`.
KNOWN_KEYS = {
    "": {"id", "name", "cli_plugin_name", "api", "$base"},
    "api.": {
        *("config_vars_prefix", "config_vars", "password", "sso_salt", "regions", "requires"),
        *("production", "test", "version", "$base"),
    },
    "api.production.": {"base_url", "sso_url"},
    "api.test.": {"base_url", "sso_url"},
}


@dataclass
class PulledManifest:
    """What importing a manifest changes, and the fields of it that the portal does not keep."""

    changes: dict = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def read_pulled_manifest(data, *, addon) -> PulledManifest:
    """Return the changes a pulled v3 manifest DATA makes to ADDON; raise every problem at once."""
    if not isinstance(data, dict) or not isinstance(data.get("api"), dict):
        raise ValidationError("A v3 manifest is a JSON object with an “api” object.")
    api = data["api"]
    errors = _envelope_errors(data, slug=addon.slug)
    values = _form_values(data, errors)
    form = ManifestForm(
        data={
            **values,
            **{name: "\n".join(values[name]) for name in LIST_FIELDS},
        },
        addon=addon,
    )
    pulled = PulledManifest(ignored=_unknown_keys(data))
    if form.is_valid():
        pulled.changes.update(form.cleaned_data)
    else:
        for name, messages in form.errors.items():
            errors += [f"{PATHS.get(name, name)}: {message}" for message in messages]
    pulled.changes.update(_name_change(data, errors))
    pulled.changes.update(_secret_changes(api, errors))
    pulled.changes.update(_base_change(data, errors))
    if errors:
        raise ValidationError(errors)
    return pulled


def _envelope_errors(data: dict, *, slug: str) -> list[str]:
    """Return what is wrong with the manifest's id, version and URL blocks."""
    errors = []
    if data.get("id") != slug:
        errors.append(f"id: must be “{slug}”, the id of this add-on.")
    api = data["api"]
    if str(api.get("version", "3")) != "3":
        errors.append("api.version: only version 3 manifests can be imported.")
    if not isinstance(api.get("production"), dict):
        errors.append("api.production: must be an object with base_url and sso_url.")
    if "test" in api and not isinstance(api["test"], dict):
        errors.append("api.test: must be an object with base_url and sso_url.")
    return errors


def _form_values(data: dict, errors: list[str]) -> dict:
    """Return the values of ManifestForm's fields in DATA, each of the right type or empty."""
    api = data["api"]
    production = api.get("production") if isinstance(api.get("production"), dict) else {}
    test = api.get("test") if isinstance(api.get("test"), dict) else {}
    values = {
        "base_url": production.get("base_url", ""),
        "sso_url": production.get("sso_url", ""),
        "test_base_url": test.get("base_url", ""),
        "test_sso_url": test.get("sso_url", ""),
        "regions": api.get("regions", []),
        "requires": api.get("requires", []),
        "config_vars_prefix": api.get("config_vars_prefix", ""),
        "config_vars": api.get("config_vars", []),
        "cli_plugin_name": data.get("cli_plugin_name", ""),
    }
    for name in LIST_FIELDS:
        if not isinstance(values[name], list) or not all(isinstance(v, str) for v in values[name]):
            errors.append(f"{PATHS[name]}: must be a list of strings.")
            values[name] = []
    for name in set(values) - set(LIST_FIELDS):
        if not isinstance(values[name], str):
            errors.append(f"{PATHS[name]}: must be a string.")
            values[name] = ""
    for name, value in values.items():
        # Checked as written in the manifest, before the manifest form joins and splits lists.
        problem = _one_line_problem(value)
        if problem:
            errors.append(f"{PATHS[name]}: {problem}.")
            values[name] = [] if isinstance(value, list) else ""
    return values


def _one_line_problem(value: str | list[str]) -> str | None:
    """Return what breaks the one-line rule in VALUE (a string or each string of a list)."""
    for item in value if isinstance(value, list) else [value]:
        problem = text_problem(item, one_line=True)
        if problem:
            return problem
    return None


def _unknown_keys(data: dict) -> list[str]:
    """Return a message for each key of DATA that the portal does not keep."""
    ignored = []
    for prefix, known in KNOWN_KEYS.items():
        block = data
        for key in filter(None, prefix.split(".")):
            block = block.get(key) if isinstance(block, dict) else None
        if not isinstance(block, dict):
            continue
        for key in sorted(set(block) - known):
            # A key is quoted only if it is one line of text: it may not even be storable.
            where = (
                f"{prefix}{key}"
                if not text_problem(key, one_line=True)
                else f"a key of {prefix or 'the manifest'}"
            )
            ignored.append(
                f"{where}: not a manifest field the portal keeps; "
                "it is left out of the portal's export."
            )
    return ignored


def _name_change(data: dict, errors: list[str]) -> dict:
    name = data.get("name")
    if name is None:
        return {}
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors.append("name: must be a non-empty string of at most 100 characters.")
        return {}
    problem = text_problem(name, one_line=True)
    if problem:
        errors.append(f"name: {problem}.")
        return {}
    return {"name": name.strip()}


def _secret_changes(api: dict, errors: list[str]) -> dict:
    changes = {}
    for key, name in (("password", "api_password"), ("sso_salt", "sso_salt")):
        value = api.get(key)
        if value is None:
            continue
        try:
            validate_secret(value)
        except ValidationError as refusal:
            errors += [f"api.{key}: {message}" for message in refusal.messages]
        else:
            changes[name] = value
    return changes


def _base_change(data: dict, errors: list[str]) -> dict:
    """Return Heroku's version of the manifest (`$base`): at the top, or in `api` (older files)."""
    for path, block in (("$base", data), ("api.$base", data["api"])):
        if "$base" not in block:
            continue
        try:
            validate_manifest_base(block["$base"])
        except ValidationError as refusal:
            errors += [f"{path}: {message}" for message in refusal.messages]
            return {}
        return {"manifest_base": block["$base"]}
    return {"manifest_base": None}  # a manifest Heroku never held, or one that says nothing


class ManifestImportForm(forms.Form):
    """A v3 manifest as JSON, pasted or uploaded; validated as the manifest page validates."""

    manifest_json = forms.CharField(
        label="Manifest JSON",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Paste the JSON of `heroku addons:admin:manifest:pull`, or upload the file.",
    )
    manifest_file = forms.FileField(label="Or upload manifest file", required=False)

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
        pulled = read_pulled_manifest(data, addon=self.addon)
        self.cleaned_data["changes"] = pulled.changes
        self.cleaned_data["ignored"] = pulled.ignored
        return self.cleaned_data
