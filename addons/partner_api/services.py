"""Provision, change the plan of and de-provision resources, as Heroku asks by the Partner API.

Provisioning writes the resource in one short transaction *before* the OAuth grant is exchanged
(`addons.partner_api.grants`). The unique uuid thereby decides between two concurrent deliveries of
the same request before the single-use grant is spent, and no database transaction stays open
during an HTTP call to Heroku.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from addons.models import Addon, AddonResource, Plan
from addons.partner_api.exceptions import (
    InvalidParamsError,
    PlanRefusedError,
    ResourceConflictError,
    ResourceNotFoundError,
)
from addons.partner_api.grants import exchange_resource_grant
from addons.partner_api.parsing import ProvisionRequest

PROVISION_MESSAGE = "Thanks for installing {name}. Open it from your app's add-on list."


def _describe(error: ValidationError) -> str:
    return " ".join(
        f"“{name}”: {' '.join(messages)}" for name, messages in error.message_dict.items()
    )


# Plans and config ----------------------------------------------------------------------------
def resolve_plan(addon: Addon, plan_name: str) -> Plan:
    """Return ADDON's plan named "addon-slug:plan-slug" or "plan-slug"; 422 when there is none."""
    addon_slug, separator, plan_slug = plan_name.strip().partition(":")
    if not separator:
        addon_slug, plan_slug = addon.slug, addon_slug
    if addon_slug != addon.slug:
        raise PlanRefusedError(
            f"“{plan_name}” is not a plan of {addon.slug}.", outcome="plan of another add-on"
        )
    try:
        return addon.plans.get(slug=plan_slug)
    except Plan.DoesNotExist:
        raise PlanRefusedError(
            f"{addon.slug} has no plan “{plan_slug}”.", outcome="unknown plan"
        ) from None


def resource_config(addon: Addon, resource_uuid: uuidlib.UUID) -> dict[str, str]:
    """Return the config vars of a new resource: one URL, on the add-on's host, per resource."""
    parts = urlsplit(addon.base_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    url = f"{origin or settings.SITE_URL}/resources/{resource_uuid}"
    return {f"{addon.effective_config_vars_prefix}_URL": url}


# Provisioning --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProvisionResult:
    resource: AddonResource
    created: bool

    def answer(self) -> dict:
        """Return the body of the 200 answer; the same for every delivery of one request."""
        return {
            "id": str(self.resource.uuid),
            "config": self.resource.config,
            "message": PROVISION_MESSAGE.format(name=self.resource.addon.name),
        }


def provision_resource(*, addon: Addon, request: ProvisionRequest) -> ProvisionResult:
    """Create the resource REQUEST describes, or return the one an earlier delivery created."""
    plan = resolve_plan(addon, request.plan)
    existing = _existing_resource(request.uuid)
    if existing is not None:
        return _repeated_provision(addon, existing, plan)
    resource = AddonResource(
        uuid=request.uuid,
        addon=addon,
        plan=plan,
        name=request.name,
        region=request.region,
        callback_url=request.callback_url,
        options=request.options,
        config=resource_config(addon, request.uuid),
        state=AddonResource.State.PROVISIONING,
        grant_code=request.grant_code,
        grant_expires_at=request.grant_expires_at if request.grant_code else None,
    )
    try:
        resource.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise InvalidParamsError(_describe(exc), outcome="invalid params") from None
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError:
        # Another delivery of the same request won the race for the uuid: answer as it did.
        existing = _existing_resource(request.uuid)
        if existing is None:
            raise
        return _repeated_provision(addon, existing, plan)
    if resource.grant_code:
        exchange_resource_grant(resource)
    else:
        AddonResource.objects.filter(pk=resource.pk).update(
            state=AddonResource.State.PROVISIONED, updated_at=timezone.now()
        )
        resource.state = AddonResource.State.PROVISIONED
    return ProvisionResult(resource=resource, created=True)


def _existing_resource(resource_uuid: uuidlib.UUID) -> AddonResource | None:
    return AddonResource.objects.select_related("addon", "plan").filter(uuid=resource_uuid).first()


def _repeated_provision(addon: Addon, existing: AddonResource, plan: Plan) -> ProvisionResult:
    if existing.addon_id != addon.pk:
        raise ResourceConflictError(
            "This resource id is already in use.", outcome="uuid of another add-on"
        )
    if existing.state == AddonResource.State.DEPROVISIONED:
        raise ResourceConflictError(
            "This add-on resource has been de-provisioned; install the add-on again.",
            outcome="repeat of a de-provisioned resource",
        )
    if existing.plan_id != plan.pk:
        raise ResourceConflictError(
            f"This resource already exists on the plan “{existing.plan.slug}”; "
            "change plans with a plan change.",
            outcome="repeat with a different plan",
        )
    return ProvisionResult(resource=existing, created=False)


def _resource_of(addon: Addon, resource_uuid: uuidlib.UUID, *, lock: bool = False):
    queryset = AddonResource.objects.filter(addon=addon, uuid=resource_uuid)
    if lock:
        queryset = queryset.select_for_update()
    resource = queryset.select_related("addon", "plan").first()
    if resource is None:
        raise ResourceNotFoundError(
            f"{addon.slug} has no resource {resource_uuid}.", outcome="unknown resource"
        )
    return resource


@transaction.atomic
def change_plan(*, addon: Addon, resource_uuid: uuidlib.UUID, plan_name: str) -> AddonResource:
    """Move ADDON's resource RESOURCE_UUID to the plan PLAN_NAME."""
    resource = _resource_of(addon, resource_uuid, lock=True)
    if resource.state == AddonResource.State.DEPROVISIONED:
        raise PlanRefusedError(
            "This add-on resource has been de-provisioned; its plan cannot change.",
            outcome="plan change of a de-provisioned resource",
        )
    plan = resolve_plan(addon, plan_name)
    if plan.pk != resource.plan_id:
        resource.plan = plan
        resource.save(update_fields=["plan", "updated_at"])
    return resource


@transaction.atomic
def deprovision_resource(*, addon: Addon, resource_uuid: uuidlib.UUID) -> AddonResource:
    """Mark ADDON's resource RESOURCE_UUID de-provisioned and forget its tokens; keep the row."""
    resource = _resource_of(addon, resource_uuid, lock=True)
    if resource.state == AddonResource.State.DEPROVISIONED:
        return resource  # a repeated delivery: nothing more to do
    resource.state = AddonResource.State.DEPROVISIONED
    resource.deprovisioned_at = timezone.now()
    resource.access_token = ""
    resource.refresh_token = ""
    resource.token_expires_at = None
    resource.grant_code = ""
    resource.grant_expires_at = None
    resource.save(
        update_fields=[
            "state",
            "deprovisioned_at",
            "access_token",
            "refresh_token",
            "token_expires_at",
            "grant_code",
            "grant_expires_at",
            "updated_at",
        ]
    )
    return resource
