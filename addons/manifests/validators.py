"""The rules a manifest's values follow, wherever they are written: portal, admin or import.

`addons.manifests.services.update_manifest` enforces them for every caller (`validate_manifest`);
the portal's forms call the single-value validators to name a bad value next to its field.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from portal.text import text_problem, validate_one_line, validate_storable

LOCAL_HOSTS = {"localhost", "127.0.0.1"}


CONFIG_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


REGION_NAME = re.compile(r"^[a-z0-9][a-z0-9:_.-]*$")


# Heroku's own tool (`heroku addons:admin:manifest:push`) refuses a manifest without this region.
REQUIRED_REGION = "us"


# What `api.requires` may ask of Heroku, e.g. log_input or syslog_drain (Dev Center "Add-on
# Manifest"); names only, so that a new capability of Heroku's needs no release of the portal.
REQUIREMENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


# The npm package name of the add-on's Heroku CLI plugin (`cli_plugin_name`), scope optional.
NPM_PACKAGE_NAME = re.compile(r"^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$")
MAX_NPM_PACKAGE_NAME = 214


MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 255


def _readable_url(value: str):
    """Return VALUE split into parts, if it is one line that Python can read as a URL."""
    validate_one_line(value)
    try:
        parts = urlsplit(value)
        port = parts.port  # a port out of range raises only when it is read
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", ...
        raise ValidationError(f"Enter a URL that can be read: {exc}.") from None
    if port == 0:
        raise ValidationError("Enter a URL that can be read: port 0 cannot be called.")
    return parts


def validate_production_url(value: str) -> None:
    """Require an https URL Python can read; plain http only for localhost while DEBUG is on."""
    parts = _readable_url(value)
    local = parts.scheme == "http" and settings.DEBUG and parts.hostname in LOCAL_HOSTS
    if parts.scheme != "https" and not local:
        raise ValidationError("Heroku calls production URLs over https only: use an https:// URL.")
    URLValidator(schemes=["http", "https"])(value)


def validate_test_url(value: str) -> None:
    """Require an http or https URL with a host, or nothing (the production URL is used)."""
    if not value:
        return
    parts = _readable_url(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "Use an http:// or https:// URL (a staging portal or your machine), "
            "or leave it empty to use the production URL."
        )


def _require_names(value, what: str, pattern: re.Pattern) -> None:
    """Require VALUE to be a list of one-line strings that match PATTERN, naming those that do not.

    A name that is not one line of text is described, never quoted: it may not even be storable.
    """
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f"Enter a list of {what}s.")
    for item in value:
        problem = text_problem(item, one_line=True)
        if problem:
            raise ValidationError(f"A {what} {problem}.")
    bad = [item for item in value if not pattern.fullmatch(item)]
    if bad:
        raise ValidationError(f"Not a {what}: {', '.join(bad)}.")


def validate_region_names(regions: list[str]) -> None:
    """Require a list of Heroku region names, such as us, eu or dublin, with us among them."""
    _require_names(regions, "region name", REGION_NAME)
    if not regions:
        raise ValidationError(
            f"Enter at least one region; Heroku requires {REQUIRED_REGION} among them."
        )
    if REQUIRED_REGION not in regions:
        raise ValidationError(
            f"Add the region {REQUIRED_REGION}: Heroku refuses a manifest without it "
            "(heroku addons:admin:manifest:push)."
        )


def validate_requirements(names: list[str]) -> None:
    """Require a list of what the add-on asks of Heroku, such as log_input or syslog_drain."""
    _require_names(names, "requirement name", REQUIREMENT_NAME)


def validate_cli_plugin_name(value: str) -> None:
    """Require an npm package name for the CLI plugin, or nothing."""
    validate_one_line(value)
    if value and (len(value) > MAX_NPM_PACKAGE_NAME or not NPM_PACKAGE_NAME.fullmatch(value)):
        raise ValidationError("Enter an npm package name, e.g. heroku-acme-search.")


def validate_config_var_name_prefix(prefix: str) -> None:
    """Require a config var prefix in upper case, e.g. ACME_SEARCH (empty: the id upper-cased)."""
    validate_one_line(prefix)
    if prefix and not CONFIG_VAR_NAME.fullmatch(prefix):
        raise ValidationError("Use upper-case letters, digits and underscores.")


def validate_config_var_names(names: list[str]) -> None:
    """Require a list of config var names in upper case, e.g. ACME_SEARCH_URL."""
    _require_names(names, "config var name", CONFIG_VAR_NAME)


def validate_config_vars_start_with(names: list[str], prefix: str) -> None:
    """Require each config var name to start with PREFIX and an underscore."""
    outside = [name for name in names if not name.startswith(f"{prefix}_")]
    if outside:
        raise ValidationError(f"Must start with {prefix}_: {', '.join(outside)}.")


def validate_secret(value: str) -> None:
    """Require a manifest secret (API password, SSO salt): one line of 16 to 255 characters."""
    if not isinstance(value, str) or not MIN_SECRET_LENGTH <= len(value) <= MAX_SECRET_LENGTH:
        raise ValidationError(
            f"Must be a string of {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters."
        )
    validate_one_line(value)


def validate_manifest_base(value) -> None:
    """Require Heroku's version marker of a manifest (`$base`): a number, a short string or none."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | str) or len(str(value)) > 100:
        raise ValidationError("Must be the number or string that Heroku wrote there.")
    if isinstance(value, str):
        validate_storable(value)  # kept and exported back as Heroku wrote it


def validate_url_if_given(value: str) -> None:
    """Require a production URL, or nothing yet (a new add-on's manifest is filled in later)."""
    if value:
        validate_production_url(value)


FIELD_VALIDATORS = {
    "name": validate_one_line,
    "base_url": validate_url_if_given,
    "sso_url": validate_url_if_given,
    "test_base_url": validate_test_url,
    "test_sso_url": validate_test_url,
    "regions": validate_region_names,
    "config_vars_prefix": validate_config_var_name_prefix,
    "config_vars": validate_config_var_names,
    "requires": validate_requirements,
    "cli_plugin_name": validate_cli_plugin_name,
    "manifest_base": validate_manifest_base,
    "api_password": validate_secret,
    "sso_salt": validate_secret,
}


def validate_manifest(addon, *, changed: set[str]) -> None:
    """Check the CHANGED fields of ADDON, an add-on holding its new values, not yet saved.

    Raise one ValidationError keyed by field, naming every refused value. Fields that did not
    change are not checked again, so that a manifest stored before a rule existed can still be
    edited field by field.
    """
    errors: dict[str, list] = {}
    for field in sorted(changed & FIELD_VALIDATORS.keys()):
        try:
            FIELD_VALIDATORS[field](getattr(addon, field))
        except ValidationError as refusal:
            errors[field] = refusal.error_list
    names_changed = changed & {"config_vars", "config_vars_prefix"}
    if names_changed and not names_changed & errors.keys():
        try:
            validate_config_vars_start_with(addon.config_vars, addon.effective_config_vars_prefix)
        except ValidationError as refusal:
            errors["config_vars"] = refusal.error_list
    if errors:
        raise ValidationError(errors)
