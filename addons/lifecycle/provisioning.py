"""Provisioning, plan changes and de-provisioning through the add-on's provisioner, synchronous
or pending, and their completion by the add-on's service.

The provisioner is called outside any transaction (it may be an HTTP call); what it answers is
written in a short transaction that first checks the resource is still where the call left it,
so a repeated delivery, a late completion or a de-provisioning meanwhile never moves it back.

States (AddonResource.state / waiting_on):

    provisioning/provisioner  the row exists; the provisioner has not answered (yet, or it failed:
                              a repeated delivery asks again)
    provisioning/service      it answered "pending"; the service completes later
    provisioning/heroku       the service finished; `reporting` tells Heroku (config, provision)
    provisioned               done; config changes and rotations go through `reporting`
    deprovisioning/service    Heroku asked to de-provision; the service finishes later
    deprovisioning/heroku     it finished; `reporting` tells Heroku (actions/deprovision)
    deprovisioned, failed     final
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from addons.lifecycle.config import check_config
from addons.lifecycle.events import Outcome, Step, names, record_event
from addons.lifecycle.exceptions import (
    ConfigRefused,
    LifecycleError,
    ProvisionerError,
    ProvisionerRefusal,
    WrongState,
)
from addons.lifecycle.provisioners import Done, Pending, provisioner_for
from addons.lifecycle.queue import enqueue_log_line, enqueue_report
from addons.lifecycle.resources import State, WaitingOn, lock_resource, mark_deprovisioned
from addons.models import AddonResource, Plan

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepResult:
    """What a lifecycle step came to: the resource as written, and whether it goes on later."""

    resource: AddonResource
    pending: bool = False
    message: str = ""


def call_provisioner(resource: AddonResource, step: str, operation: Callable):
    """Return OPERATION(provisioner), recording a failure as STEP's event.

    A provisioner class that raises anything but a refusal counts as a failed service.
    """
    try:
        return operation(provisioner_for(resource.addon))
    except ProvisionerRefusal as refusal:
        record_event(resource, step, Outcome.FAILED, f"refused: {refusal.message}")
        raise
    except LifecycleError as exc:
        record_event(resource, step, Outcome.FAILED, str(exc))
        raise
    except Exception as exc:
        logger.exception("The provisioner of %s failed at %s", resource.addon.slug, step)
        record_event(resource, step, Outcome.FAILED, f"the provisioner raised {type(exc).__name__}")
        raise ProvisionerError(f"The provisioner raised {type(exc).__name__}.") from exc


def _config_of(resource: AddonResource, step: str, answer: Done) -> dict[str, str]:
    """Return ANSWER's config if the manifest allows it; a service's bad config is its failure."""
    try:
        return check_config(resource.addon, answer.config)
    except ConfigRefused as exc:
        record_event(resource, step, Outcome.FAILED, f"the service's config: {exc}")
        raise ProvisionerError(
            f"The add-on's service answered config the manifest refuses: {exc}"
        ) from None


# Provisioning --------------------------------------------------------------------------------
def start_provisioning(*, resource: AddonResource) -> StepResult:
    """Ask RESOURCE's provisioner to provision it: store its config now, or wait for the service."""
    answer = call_provisioner(
        resource,
        Step.PROVISION,
        lambda provisioner: provisioner.provision(
            resource=resource,
            plan=resource.plan,
            region=resource.region,
            options=resource.options,
        ),
    )
    if isinstance(answer, Pending):
        return _wait_for_service(resource, answer)
    return _provisioned_now(resource, _config_of(resource, Step.PROVISION, answer))


@transaction.atomic
def _provisioned_now(resource: AddonResource, config: dict[str, str]) -> StepResult:
    locked = lock_resource(resource.pk)
    if locked.state != State.PROVISIONING or locked.waiting_on in (
        WaitingOn.SERVICE,
        WaitingOn.HEROKU,
    ):
        return result_of(locked)  # a repeated delivery, or the service was quicker: keep theirs
    now = timezone.now()
    locked.config = config
    locked.state = State.PROVISIONED
    locked.waiting_on = WaitingOn.NOTHING
    locked.provisioned_at = locked.credentials_issued_at = now
    # Heroku gets this config in the provisioning answer: nothing is left to push.
    locked.config_version += 1
    locked.config_pushed_version = locked.config_version
    locked.save()
    record_event(locked, Step.PROVISION, Outcome.DONE, f"config: {names(config)}")
    after_provisioned(locked)
    return StepResult(locked)


@transaction.atomic
def _wait_for_service(resource: AddonResource, answer: Pending) -> StepResult:
    locked = lock_resource(resource.pk)
    if locked.state == State.PROVISIONING and locked.waiting_on in (
        WaitingOn.PROVISIONER,
        WaitingOn.NOTHING,
    ):
        locked.waiting_on = WaitingOn.SERVICE
        locked.save(update_fields=["waiting_on", "updated_at"])
        record_event(
            locked, Step.PROVISION, Outcome.PENDING, answer.message or "the service said so"
        )
    return StepResult(locked, pending=True, message=answer.message)


def result_of(resource: AddonResource) -> StepResult:
    """Return what a repeated provisioning delivery is told about RESOURCE as it stands."""
    waiting = resource.state == State.PROVISIONING and resource.waiting_on in (
        WaitingOn.SERVICE,
        WaitingOn.HEROKU,
    )
    return StepResult(resource, pending=waiting)


def after_provisioned(resource: AddonResource) -> None:
    """Queue what follows provisioning: the line in the app's log (the first access-list sync
    follows the OAuth grant exchange, `addons.partner_api.grants`)."""
    if resource.log_input_url:
        message = f"{resource.addon.name} is provisioned on the {resource.plan.slug} plan."
        transaction.on_commit(partial(enqueue_log_line, resource.pk, message))


@transaction.atomic
def complete_provisioning(*, resource: AddonResource, config) -> StepResult:
    """Take the config RESOURCE's service finished provisioning with, and queue it for Heroku.

    A repeated completion changes nothing once the resource is provisioned; while Heroku is
    still being told, a repeat with other config replaces it (the newest is sent).
    """
    config = check_config(resource.addon, config)
    locked = lock_resource(resource.pk)
    if locked.state == State.PROVISIONED:
        return StepResult(locked, message="already provisioned")
    if locked.state != State.PROVISIONING:
        raise WrongState(
            f"This resource is {locked.get_state_display().lower()}: its provisioning cannot "
            "complete."
        )
    if locked.waiting_on == WaitingOn.HEROKU and locked.config == config:
        return StepResult(locked, pending=True, message="already completed")
    locked.config = config
    locked.config_version += 1
    locked.waiting_on = WaitingOn.HEROKU
    locked.credentials_issued_at = timezone.now()
    locked.save()
    record_event(
        locked, Step.PROVISION, Outcome.DONE, f"the service finished; config: {names(config)}"
    )
    transaction.on_commit(partial(enqueue_report, locked.pk))
    return StepResult(locked, pending=True)


# Plan changes --------------------------------------------------------------------------------
def change_plan(*, resource: AddonResource, plan: Plan) -> StepResult:
    """Move RESOURCE to PLAN: through the provisioner now, or after a pending provisioning.

    A plan change that arrives while provisioning is pending is queued: the resource is on the
    new plan at once (as Heroku bills it), and the provisioner hears of it once the service has
    finished provisioning (`reporting`), since it may not know the resource before then.
    """
    if resource.state == State.PROVISIONING:
        return _queue_plan_change(resource, plan)
    if resource.state != State.PROVISIONED:
        raise WrongState(
            f"This add-on resource is {resource.get_state_display().lower()}; its plan cannot "
            "change."
        )
    if plan.pk == resource.plan_id:
        return StepResult(resource)  # a repeated delivery: answered alike, no second call
    answer = call_provisioner(
        resource,
        Step.PLAN_CHANGE,
        lambda provisioner: provisioner.change_plan(resource=resource, plan=plan),
    )
    return _plan_changed(resource, plan, _config_of(resource, Step.PLAN_CHANGE, answer))


@transaction.atomic
def _queue_plan_change(resource: AddonResource, plan: Plan) -> StepResult:
    locked = lock_resource(resource.pk)
    if locked.plan_id != plan.pk:
        locked.plan = plan
        locked.plan_change_queued = True
        locked.save(update_fields=["plan", "plan_change_queued", "updated_at"])
        record_event(
            locked, Step.PLAN_CHANGE, Outcome.QUEUED, f"to {plan.slug}, once provisioning is done"
        )
    return StepResult(locked, pending=True)


@transaction.atomic
def _plan_changed(resource: AddonResource, plan: Plan, changes: dict[str, str]) -> StepResult:
    locked = lock_resource(resource.pk)
    if locked.state != State.PROVISIONED:
        raise WrongState("The resource changed state during the plan change; try again.")
    locked.plan = plan
    if changes and changes.items() - locked.config.items():
        in_step = locked.config_pushed_version == locked.config_version
        locked.config = {**locked.config, **changes}
        locked.config_version += 1
        if in_step:  # Heroku takes this config from the plan change's answer
            locked.config_pushed_version = locked.config_version
    locked.save()
    record_event(
        locked, Step.PLAN_CHANGE, Outcome.DONE, f"to {plan.slug}; config: {names(changes)}"
    )
    if locked.config_push_outstanding:
        transaction.on_commit(partial(enqueue_report, locked.pk))
    return StepResult(locked)


# De-provisioning -----------------------------------------------------------------------------
def start_deprovisioning(*, resource: AddonResource) -> StepResult:
    """Ask RESOURCE's provisioner to de-provision it: done now, or pending in the service.

    A de-provisioning that arrives while provisioning is pending cancels the provisioning: the
    provisioner is told to remove whatever it began, and nothing more is sent to Heroku for it.
    """
    if resource.state == State.DEPROVISIONED:
        return StepResult(resource)  # a repeated delivery: nothing more to do
    if resource.state == State.DEPROVISIONING:
        return StepResult(resource, pending=True)
    if resource.state == State.PROVISIONING:
        record_event(resource, Step.PROVISION, Outcome.CANCELLED, "Heroku asked to de-provision")
    answer = call_provisioner(
        resource,
        Step.DEPROVISION,
        lambda provisioner: provisioner.deprovision(resource=resource),
    )
    return _deprovisioned(resource, pending=isinstance(answer, Pending), message=answer.message)


@transaction.atomic
def _deprovisioned(resource: AddonResource, *, pending: bool, message: str) -> StepResult:
    locked = lock_resource(resource.pk)
    if locked.state in (State.DEPROVISIONED, State.DEPROVISIONING):
        return StepResult(locked, pending=locked.state == State.DEPROVISIONING)
    if pending:
        locked.state = State.DEPROVISIONING
        locked.waiting_on = WaitingOn.SERVICE
        locked.plan_change_queued = False
        locked.save(update_fields=["state", "waiting_on", "plan_change_queued", "updated_at"])
        record_event(locked, Step.DEPROVISION, Outcome.PENDING, message or "the service said so")
        return StepResult(locked, pending=True, message=message)
    mark_deprovisioned(locked, now=timezone.now())
    record_event(locked, Step.DEPROVISION, Outcome.DONE)
    return StepResult(locked)


@transaction.atomic
def complete_deprovisioning(*, resource: AddonResource) -> StepResult:
    """Take the service's word that RESOURCE is de-provisioned, and queue telling Heroku."""
    locked = lock_resource(resource.pk)
    if locked.state == State.DEPROVISIONED or (
        locked.state == State.DEPROVISIONING and locked.waiting_on == WaitingOn.HEROKU
    ):
        return StepResult(locked, message="already completed")
    if locked.state != State.DEPROVISIONING:
        raise WrongState(
            f"This resource is {locked.get_state_display().lower()}: Heroku has not asked to "
            "de-provision it."
        )
    locked.waiting_on = WaitingOn.HEROKU
    locked.save(update_fields=["waiting_on", "updated_at"])
    record_event(locked, Step.DEPROVISION, Outcome.DONE, "the service finished")
    transaction.on_commit(partial(enqueue_report, locked.pk))
    return StepResult(locked, pending=True)
