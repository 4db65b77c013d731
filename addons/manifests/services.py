"""Every write to an add-on's settings: the add-on itself, its manifest, its secrets, its marketing
and billing, and its plans.

The portal pages and the admin call these. Each runs in one transaction and writes an
`AuditEvent` on the add-on's company; an audit entry names what changed, never a secret's value.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from accounts.addresses import normalize_email, validate_email_address
from accounts.models import AuditEvent, Company, User
from addons.manifests.exceptions import AddonInUseError, PlanInUseError
from addons.manifests.validators import validate_manifest
from addons.models import Addon, Plan, generate_secret
from portal.text import validate_one_line, validate_storable

MANIFEST_FIELDS = (
    "name",
    "base_url",
    "sso_url",
    "test_base_url",
    "test_sso_url",
    "regions",
    "requires",
    "config_vars_prefix",
    "config_vars",
    "cli_plugin_name",
)
# Written by an import only: Heroku's version of the manifest it holds (`$base`).
IMPORTED_MANIFEST_FIELDS = ("manifest_base",)
SECRET_MANIFEST_FIELDS = ("api_password", "sso_salt")
PLAN_FIELDS = ("name", "price_cents", "visibility")


def _save_new(row: Addon | Plan, *, taken: str) -> None:
    """Save ROW, validated; a slug taken a moment ago by someone else is a ValidationError."""
    row.full_clean()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationError({"slug": taken}) from None


def _check_fields(**checks: tuple[Callable[[str], None], str]) -> None:
    """Run each (validator, value) of CHECKS; raise one ValidationError keyed by field."""
    errors = {}
    for field, (validate, value) in checks.items():
        try:
            validate(value)
        except ValidationError as refusal:
            errors[field] = refusal.error_list
    if errors:
        raise ValidationError(errors)


def _audit(*, addon: Addon, actor: User | None, action: str, **details) -> AuditEvent:
    return AuditEvent.objects.create(
        company=addon.company,
        actor=actor,
        action=action,
        target=addon.slug,
        details=details,
    )


def _lock(addon: Addon) -> Addon:
    return Addon.objects.select_for_update().select_related("company").get(pk=addon.pk)


def _apply(
    *,
    addon: Addon,
    actor: User | None,
    changes: dict,
    action: str,
    validate: Callable[..., None] | None = None,
) -> Addon:
    """Write the CHANGES that differ from ADDON's values, validated, and audit their names.

    VALIDATE(addon, changed=...) checks the changed values on top of the model's own validation;
    every refused value is named in one ValidationError keyed by field, and nothing is written.
    """
    locked = _lock(addon)
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, changes[name])
    errors: dict = {}
    if validate is not None:
        try:
            validate(locked, changed=set(changed))
        except ValidationError as refusal:
            errors = refusal.update_error_dict(errors)
    try:
        locked.full_clean()
    except ValidationError as refusal:
        for name, field_errors in refusal.error_dict.items():
            errors.setdefault(name, field_errors)  # VALIDATE's reason for a field is enough
    if errors:
        raise ValidationError(errors)
    locked.save(update_fields=[*changed, "updated_at"])
    _audit(addon=locked, actor=actor, action=action, fields=sorted(changed))
    return locked


@transaction.atomic
def create_addon(*, company: Company, slug: str, name: str, actor: User | None) -> Addon:
    """Create COMPANY's add-on SLUG (the manifest id), with a new API password and SSO salt."""
    _check_fields(name=(validate_one_line, name))
    addon = Addon(company=company, slug=slug, name=name.strip())
    _save_new(addon, taken="That add-on id is taken; choose another.")
    _audit(addon=addon, actor=actor, action=AuditEvent.Action.ADDON_CREATED, name=addon.name)
    return addon


@transaction.atomic
def delete_addon(*, addon: Addon, actor: User | None) -> None:
    """Delete ADDON with its plans and tickets; refuse (AddonInUseError) once it has resources.

    The audit entry stays with the add-on's company.
    """
    locked = _lock(addon)
    resources = locked.resources.count()
    if resources:
        raise AddonInUseError(locked, resources)
    _audit(
        addon=locked,
        actor=actor,
        action=AuditEvent.Action.ADDON_DELETED,
        name=locked.name,
        plans=list(locked.plans.values_list("slug", flat=True)),
        tickets=locked.tickets.count(),
    )
    try:
        with transaction.atomic():
            locked.delete()
    except ProtectedError as exc:  # a resource provisioned a moment ago
        raise AddonInUseError(locked, len(exc.protected_objects)) from None


@transaction.atomic
def update_manifest(*, addon: Addon, actor: User | None, changes: dict) -> Addon:
    """Apply CHANGES (manifest fields; on import also the password, salt and `$base`) to ADDON.

    Raise a ValidationError keyed by field, writing nothing, when a changed value breaks a rule of
    `addons.manifests.validators` (https production URLs, regions with us among them, region,
    requirement and config var names, the prefix) or of the model.
    """
    allowed = set(MANIFEST_FIELDS) | set(SECRET_MANIFEST_FIELDS) | set(IMPORTED_MANIFEST_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not manifest fields: {', '.join(sorted(unknown))}")
    return _apply(
        addon=addon,
        actor=actor,
        changes=changes,
        action=AuditEvent.Action.MANIFEST_UPDATED,
        validate=validate_manifest,
    )


@transaction.atomic
def regenerate_api_password(*, addon: Addon, actor: User | None) -> Addon:
    """Give ADDON a new 32-character Partner API password (Heroku needs the new manifest)."""
    locked = _lock(addon)
    locked.api_password = generate_secret()
    locked.save(update_fields=["api_password", "updated_at"])
    _audit(
        addon=locked,
        actor=actor,
        action=AuditEvent.Action.MANIFEST_UPDATED,
        fields=["api_password"],
        regenerated=True,
    )
    return locked


def manifest_json(addon: Addon) -> dict:
    """Return ADDON's manifest in Heroku's v3 format, password and SSO salt included.

    The format of `heroku addons:admin:manifest:pull`: importing it back changes nothing. The
    `test` block holds the test URLs, or the production ones where the add-on has none.
    """
    prefix = addon.effective_config_vars_prefix
    manifest: dict = {"id": addon.slug, "name": addon.name}
    if addon.cli_plugin_name:
        manifest["cli_plugin_name"] = addon.cli_plugin_name
    if addon.manifest_base is not None:
        manifest["$base"] = addon.manifest_base
    manifest["api"] = {
        "config_vars_prefix": prefix,
        "config_vars": list(addon.config_vars) or [f"{prefix}_URL"],
        "password": addon.api_password,
        "sso_salt": addon.sso_salt,
        "regions": list(addon.regions),
        "requires": list(addon.requires),
        "production": {"base_url": addon.base_url, "sso_url": addon.sso_url},
        "test": {
            "base_url": addon.test_base_url or addon.base_url,
            "sso_url": addon.test_sso_url or addon.sso_url,
        },
        "version": "3",
    }
    return manifest


@transaction.atomic
def export_manifest(*, addon: Addon, actor: User | None) -> dict:
    """Return ADDON's v3 manifest for download, and record that its secrets were shown."""
    _audit(addon=addon, actor=actor, action=AuditEvent.Action.MANIFEST_EXPORTED)
    return manifest_json(addon)


@transaction.atomic
def reveal_oauth_secret(*, addon: Addon, actor: User | None) -> str:
    """Return ADDON's OAuth client secret, and record who saw it."""
    _audit(addon=addon, actor=actor, action=AuditEvent.Action.OAUTH_SECRET_REVEALED)
    return Addon.objects.get(pk=addon.pk).oauth_client_secret


@transaction.atomic
def reset_oauth_secret(*, addon: Addon, actor: User | None) -> str:
    """Replace ADDON's OAuth client secret with a new random one; return the new one."""
    locked = _lock(addon)
    locked.oauth_client_secret = generate_secret()
    locked.save(update_fields=["oauth_client_secret", "updated_at"])
    _audit(addon=locked, actor=actor, action=AuditEvent.Action.OAUTH_SECRET_RESET)
    return locked.oauth_client_secret


@transaction.atomic
def update_marketing_and_billing(
    *, addon: Addon, actor: User | None, marketing_description: str, billing_email: str
) -> Addon:
    """Set ADDON's marketing description and billing email (stored in its normal form)."""
    _check_fields(
        marketing_description=(validate_storable, marketing_description),
        billing_email=(validate_email_address, billing_email),
    )
    changes = {
        "marketing_description": marketing_description,
        "billing_email": normalize_email(billing_email),
    }
    return _apply(
        addon=addon, actor=actor, changes=changes, action=AuditEvent.Action.ADDON_SETTINGS_CHANGED
    )


def _plan_values(plan: Plan) -> dict:
    return {name: getattr(plan, name) for name in PLAN_FIELDS}


def _lock_plan(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().select_related("addon__company").get(pk=plan.pk)


@transaction.atomic
def create_plan(
    *,
    addon: Addon,
    slug: str,
    name: str,
    price_cents: int,
    visibility: str,
    actor: User | None,
) -> Plan:
    """Add plan SLUG to ADDON; SLUG is the name Heroku knows the plan by, so it never changes."""
    _check_fields(name=(validate_one_line, name))
    plan = Plan(
        addon=addon, slug=slug, name=name.strip(), price_cents=price_cents, visibility=visibility
    )
    _save_new(plan, taken=f"{addon.slug} already has a plan {slug}.")
    _audit(
        addon=addon,
        actor=actor,
        action=AuditEvent.Action.PLAN_CREATED,
        plan=plan.slug,
        **_plan_values(plan),
    )
    return plan


@transaction.atomic
def update_plan(
    *, plan: Plan, name: str, price_cents: int, visibility: str, actor: User | None
) -> Plan:
    """Set PLAN's NAME, list price and VISIBILITY (public or hidden)."""
    _check_fields(name=(validate_one_line, name))
    plan = _lock_plan(plan)
    before = _plan_values(plan)
    after = {"name": name.strip(), "price_cents": price_cents, "visibility": visibility}
    changed = sorted(field for field in PLAN_FIELDS if before[field] != after[field])
    if not changed:
        return plan
    for field in changed:
        setattr(plan, field, after[field])
    plan.full_clean()
    plan.save(update_fields=changed)
    _audit(
        addon=plan.addon,
        actor=actor,
        action=AuditEvent.Action.PLAN_CHANGED,
        plan=plan.slug,
        before={field: before[field] for field in changed},
        after={field: after[field] for field in changed},
    )
    return plan


@transaction.atomic
def delete_plan(*, plan: Plan, actor: User | None) -> None:
    """Delete PLAN; refuse (PlanInUseError) while resources use it, de-provisioned ones included."""
    plan = _lock_plan(plan)
    resources = plan.resources.count()
    if resources:
        raise PlanInUseError(plan, resources)
    _audit(
        addon=plan.addon,
        actor=actor,
        action=AuditEvent.Action.PLAN_DELETED,
        plan=plan.slug,
        **_plan_values(plan),
    )
    try:
        with transaction.atomic():
            plan.delete()
    except ProtectedError as exc:  # a resource provisioned a moment ago
        raise PlanInUseError(plan, len(exc.protected_objects)) from None
