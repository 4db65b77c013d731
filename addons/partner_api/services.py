"""Provision, change the plan of and de-provision resources, as Heroku asks by the Partner API.

Provisioning writes the resource in one short transaction *before* the OAuth grant is exchanged
(`addons.partner_api.grants`) and the add-on's provisioner is asked (`addons.lifecycle`). The
unique uuid thereby decides between two concurrent deliveries of the same request before the
single-use grant is spent, and no database transaction stays open during an HTTP call to Heroku or
to the add-on's service.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from addons.access.webhooks.subscriptions import retire_subscription
from addons.lifecycle import services as lifecycle
from addons.lifecycle.exceptions import ProvisionerError, ProvisionerRefusal, WrongState
from addons.lifecycle.services import StepResult
from addons.models import Addon, AddonResource, Plan
from addons.partner_api.exceptions import (
    InvalidParamsError,
    PlanRefusedError,
    ResourceConflictError,
    ResourceNotFoundError,
    ServiceUnavailableError,
)
from addons.partner_api.grants import exchange_resource_grant
from addons.partner_api.parsing import ProvisionRequest

PROVISION_MESSAGE = "Thanks for installing {name}. Open it from your app's add-on list."


PENDING_MESSAGE = "{name} is being provisioned. It will be available shortly."


def _describe(error: ValidationError) -> str:
    return " ".join(
        f"“{name}”: {' '.join(messages)}" for name, messages in error.message_dict.items()
    )


# Plans ---------------------------------------------------------------------------------------
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


# Provisioning --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProvisionResult:
    resource: AddonResource
    created: bool
    pending: bool = False

    def answer(self) -> dict:
        """Return the body of the answer; the same for every delivery of one request.

        `200 {"id", "config", "message"}` when provisioned, `202 {"id", "message"}` while the
        add-on's service is still at it (Heroku then waits for the portal's Platform API calls).
        """
        name = self.resource.addon.name
        if self.pending:
            return {"id": str(self.resource.uuid), "message": PENDING_MESSAGE.format(name=name)}
        return {
            "id": str(self.resource.uuid),
            "config": self.resource.config,
            "message": PROVISION_MESSAGE.format(name=name),
        }


def provision_resource(*, addon: Addon, request: ProvisionRequest) -> ProvisionResult:
    """Create the resource REQUEST describes and have its provisioner provision it, or answer
    as for the delivery that created it."""
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
        log_input_url=request.log_input_url,
        log_drain_token=request.log_drain_token,
        state=AddonResource.State.PROVISIONING,
        waiting_on=AddonResource.WaitingOn.PROVISIONER,
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
    return _provision(resource, created=True)


def _provision(resource: AddonResource, *, created: bool) -> ProvisionResult:
    """Ask the provisioner; a refusal is a 422 and a failed service a 503, as Heroku reads them."""
    try:
        step = lifecycle.start_provisioning(resource=resource)
    except ProvisionerRefusal as refusal:
        raise InvalidParamsError(refusal.message, outcome="the provisioner refused") from None
    except ProvisionerError as exc:
        raise ServiceUnavailableError(
            "The add-on's service could not provision this resource; try again later.",
            outcome=f"provisioner failed: {exc}",
        ) from None
    return ProvisionResult(resource=step.resource, created=created, pending=step.pending)


def _existing_resource(resource_uuid: uuidlib.UUID) -> AddonResource | None:
    return AddonResource.objects.select_related("addon", "plan").filter(uuid=resource_uuid).first()


def _repeated_provision(addon: Addon, existing: AddonResource, plan: Plan) -> ProvisionResult:
    if existing.addon_id != addon.pk:
        raise ResourceConflictError(
            "This resource id is already in use.", outcome="uuid of another add-on"
        )
    if existing.state in (AddonResource.State.DEPROVISIONED, AddonResource.State.DEPROVISIONING):
        raise ResourceConflictError(
            "This add-on resource has been de-provisioned; install the add-on again.",
            outcome="repeat of a de-provisioned resource",
        )
    if existing.state == AddonResource.State.FAILED:
        raise ResourceConflictError(
            "Provisioning this add-on resource failed; install the add-on again.",
            outcome="repeat of a failed resource",
        )
    if existing.plan_id != plan.pk and not existing.plan_change_queued:
        raise ResourceConflictError(
            f"This resource already exists on the plan “{existing.plan.slug}”; "
            "change plans with a plan change.",
            outcome="repeat with a different plan",
        )
    if existing.state == AddonResource.State.PROVISIONING and existing.waiting_on in (
        AddonResource.WaitingOn.PROVISIONER,
        AddonResource.WaitingOn.NOTHING,
    ):
        # The provisioner has not answered for it (it failed, or is still at it): ask again.
        return _provision(existing, created=False)
    return ProvisionResult(
        resource=existing, created=False, pending=lifecycle.result_of(existing).pending
    )


def _resource_of(addon: Addon, resource_uuid: uuidlib.UUID) -> AddonResource:
    resource = (
        AddonResource.objects.filter(addon=addon, uuid=resource_uuid)
        .select_related("addon__company", "plan")
        .first()
    )
    if resource is None:
        raise ResourceNotFoundError(
            f"{addon.slug} has no resource {resource_uuid}.", outcome="unknown resource"
        )
    return resource


def change_plan(*, addon: Addon, resource_uuid: uuidlib.UUID, plan_name: str) -> StepResult:
    """Move ADDON's resource RESOURCE_UUID to the plan PLAN_NAME, through its provisioner."""
    resource = _resource_of(addon, resource_uuid)
    plan = resolve_plan(addon, plan_name)
    try:
        return lifecycle.change_plan(resource=resource, plan=plan)
    except WrongState as exc:
        raise PlanRefusedError(
            str(exc), outcome=f"plan change of a {resource.state} resource"
        ) from None
    except ProvisionerRefusal as refusal:
        raise PlanRefusedError(refusal.message, outcome="the provisioner refused") from None
    except ProvisionerError as exc:
        raise ServiceUnavailableError(
            "The add-on's service could not change the plan; try again later.",
            outcome=f"provisioner failed: {exc}",
        ) from None


def deprovision_resource(*, addon: Addon, resource_uuid: uuidlib.UUID) -> StepResult:
    """De-provision ADDON's resource RESOURCE_UUID through its provisioner; keep the row."""
    resource = _resource_of(addon, resource_uuid)
    access_token = resource.access_token  # de-provisioning forgets it; the unsubscribe needs it
    try:
        result = lifecycle.start_deprovisioning(resource=resource)
    except ProvisionerError as exc:
        raise ServiceUnavailableError(
            "The add-on's service could not de-provision this resource; try again later.",
            outcome=f"provisioner failed: {exc}",
        ) from None
    retire_subscription(resource=resource, access_token=access_token)
    return result
