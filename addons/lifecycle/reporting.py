"""Tell Heroku what has finished, with the resource's own token, retried until it is heard.

One task, `report_to_heroku`, does whatever a resource has outstanding, in this order:

- its provisioning completed in the service (`provisioning/heroku`): pass on a plan change that
  arrived meanwhile, then `PATCH /addons/{id}/config`, then `POST /addons/{id}/actions/provision`;
- its stored config changed (`config_version` > `config_pushed_version`): `PATCH` the whole
  stored config, after which a rotation waiting for it starts its overlap window;
- its de-provisioning completed in the service: `POST /addons/{id}/actions/deprovision`.

A run holds a lease on the resource (`lifecycle_lease_until`), so two runs never talk to Heroku
about one resource at once. Each HTTP call is retried in the session as its policy says
(`addons.heroku.retries`); what still fails with RetryLater (and a grant exchange not done yet) is
retried by a new run after 30 s, 1, 2, 4 … minutes, at most 30 minutes apart, for
MAX_ATTEMPTS runs. A refusal, no token for good, or the last attempt fails the step: the event
says so and operators are alerted (`deadline.alert_operators`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from addons.heroku.actions import PROVISIONED, LifecycleClient
from addons.heroku.client import ResourceCredentials
from addons.heroku.errors import HerokuAPIError, RetryLater
from addons.lifecycle.config import check_config
from addons.lifecycle.deadline import alert_operators
from addons.lifecycle.events import Outcome, Step, names, record_event
from addons.lifecycle.exceptions import LifecycleError, ProvisionerError, ProvisionerRefusal
from addons.lifecycle.provisioning import after_provisioned, call_provisioner
from addons.lifecycle.queue import (
    MAX_DELAY,
    REPORT_TASK,
    enqueue_report,
    retry_delay,
    schedule_once,
)
from addons.lifecycle.resources import State, WaitingOn, lock_resource, mark_deprovisioned
from addons.lifecycle.rotation import rotations_failed, rotations_pushed
from addons.models import AddonResource, LifecycleEvent

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


MAX_ATTEMPTS = 30


class WaitForToken(LifecycleError):
    """The resource has no token yet; its OAuth grant exchange is being retried."""


class NoToken(LifecycleError):
    """The resource has no token and will get none: its grant failed or never came."""


PROVISION, CONFIG, DEPROVISION = "provision", "config", "deprovision"


STEP_OF = {
    PROVISION: Step.HEROKU_PROVISIONED,
    CONFIG: Step.CONFIG_PUSH,
    DEPROVISION: Step.HEROKU_DEPROVISIONED,
}


def outstanding(resource: AddonResource) -> str | None:
    """Return what RESOURCE has to tell Heroku next, or None."""
    if resource.waiting_on == WaitingOn.HEROKU:
        if resource.state == State.PROVISIONING:
            return PROVISION
        if resource.state == State.DEPROVISIONING:
            return DEPROVISION
    if resource.state == State.PROVISIONED and resource.config_push_outstanding:
        return CONFIG
    return None


def report_to_heroku(*, resource_id: int, attempt: int = 0) -> str:
    """Tell Heroku what resource RESOURCE_ID has outstanding; return what happened."""
    resource = _claim(resource_id)
    if resource is None:
        return "busy or gone"
    try:
        work = outstanding(resource)
        if work is None:
            return "nothing to do"
        try:
            _report(resource, work, attempt=attempt)
        except (RetryLater, WaitForToken, ProvisionerError) as exc:
            return _retry_or_give_up(resource, work, attempt=attempt, error=exc)
        except (HerokuAPIError, NoToken) as exc:
            _give_up(resource, work, str(exc))
            return f"{work}: failed"
    finally:
        _release(resource_id)
    # Work that arrived while this run held the lease gets a run of its own.
    if outstanding(AddonResource.objects.get(pk=resource_id)) is not None:
        enqueue_report(resource_id)
    return f"{work}: done"


def _claim(resource_id: int) -> AddonResource | None:
    now = timezone.now()
    claimed = (
        AddonResource.objects.filter(pk=resource_id)
        .filter(Q(lifecycle_lease_until__isnull=True) | Q(lifecycle_lease_until__lt=now))
        .update(lifecycle_lease_until=now + LEASE)
    )
    if not claimed:
        return None
    return AddonResource.objects.select_related("addon__company", "plan").get(pk=resource_id)


def _release(resource_id: int) -> None:
    AddonResource.objects.filter(pk=resource_id).update(lifecycle_lease_until=None)


def _report(resource: AddonResource, work: str, *, attempt: int) -> None:
    client = LifecycleClient()
    credentials = _credentials(resource)
    try:
        client.refresh_if_expiring(credentials)
        if work == PROVISION:
            _finish_provisioning(resource, client, credentials, attempt=attempt)
        elif work == CONFIG:
            _push_config(resource, client, credentials)
        else:
            _finish_deprovisioning(resource, client, credentials)
    finally:
        if credentials.refreshed is not None:
            tokens = credentials.refreshed
            AddonResource.objects.filter(pk=resource.pk).update(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                token_expires_at=tokens.expires_at,
            )


def _credentials(resource: AddonResource) -> ResourceCredentials:
    if not resource.access_token:
        if resource.grant_code:
            raise WaitForToken("waiting for the OAuth grant exchange, which is being retried")
        why = resource.grant_error or "Heroku sent no OAuth grant"
        raise NoToken(f"the resource has no OAuth token to call Heroku with ({why})")
    return ResourceCredentials(
        access_token=resource.access_token,
        refresh_token=resource.refresh_token,
        expires_at=resource.token_expires_at,
        client_secret=resource.addon.oauth_client_secret,
    )


# The steps -----------------------------------------------------------------------------------
def _finish_provisioning(resource, client, credentials, *, attempt: int) -> None:
    if resource.plan_change_queued:
        _pass_on_plan_change(resource)
        resource.refresh_from_db()
    version, config = resource.config_version, dict(resource.config)
    client.update_config(resource.uuid, config, credentials=credentials)
    record_event(resource, Step.CONFIG_PUSH, Outcome.DONE, names(config))
    # A run before this one may have marked it provisioned and lost the answer: ask first.
    if attempt == 0 or client.addon_state(resource.uuid, credentials=credentials) != PROVISIONED:
        client.mark_provisioned(resource.uuid, credentials=credentials)
    record_event(resource, Step.HEROKU_PROVISIONED, Outcome.DONE)
    with transaction.atomic():
        locked = lock_resource(resource.pk)
        if locked.state != State.PROVISIONING:
            return  # de-provisioned meanwhile: leave it be
        locked.state = State.PROVISIONED
        locked.waiting_on = WaitingOn.NOTHING
        locked.provisioned_at = timezone.now()
        locked.config_pushed_version = max(locked.config_pushed_version, version)
        locked.lifecycle_error = ""
        locked.save()
        after_provisioned(locked)


def _pass_on_plan_change(resource: AddonResource) -> None:
    """Tell the provisioner of the plan change that arrived while provisioning was pending."""
    try:
        answer = call_provisioner(
            resource,
            Step.PLAN_CHANGE,
            lambda provisioner: provisioner.change_plan(resource=resource, plan=resource.plan),
        )
        changes = check_config(resource.addon, answer.config)
    except ProvisionerRefusal as refusal:
        # Heroku has the resource on the new plan already; the refusal is for people to act on.
        changes, outcome, detail = {}, Outcome.FAILED, f"refused: {refusal.message}"
    else:
        outcome, detail = Outcome.DONE, f"to {resource.plan.slug}, passed on; {names(changes)}"
    with transaction.atomic():
        locked = lock_resource(resource.pk)
        locked.plan_change_queued = False
        if changes:
            locked.config = {**locked.config, **changes}
            locked.config_version = F("config_version") + 1
        locked.save(update_fields=["plan_change_queued", "config", "config_version", "updated_at"])
    if outcome == Outcome.DONE:
        record_event(resource, Step.PLAN_CHANGE, outcome, detail)
    else:
        alert_operators(resource, f"the queued plan change was {detail}")
        record_event(resource, Step.PLAN_CHANGE, outcome, detail)


def _push_config(resource, client, credentials) -> None:
    version, config = resource.config_version, dict(resource.config)
    client.update_config(resource.uuid, config, credentials=credentials)
    now = timezone.now()
    AddonResource.objects.filter(pk=resource.pk, config_pushed_version__lt=version).update(
        config_pushed_version=version
    )
    record_event(resource, Step.CONFIG_PUSH, Outcome.DONE, names(config))
    rotations_pushed(resource, version=version, now=now)


def _finish_deprovisioning(resource, client, credentials) -> None:
    client.mark_deprovisioned(resource.uuid, credentials=credentials)
    record_event(resource, Step.HEROKU_DEPROVISIONED, Outcome.DONE)
    with transaction.atomic():
        locked = lock_resource(resource.pk)
        if locked.state == State.DEPROVISIONING:
            mark_deprovisioned(locked, now=timezone.now())


# Failures ------------------------------------------------------------------------------------
def _retry_or_give_up(resource, work: str, *, attempt: int, error: Exception) -> str:
    step = STEP_OF[work]
    if attempt + 1 >= MAX_ATTEMPTS:
        _give_up(resource, work, f"{error}; gave up after {attempt + 1} attempts")
        return f"{work}: gave up"
    at = timezone.now() + retry_delay(attempt)
    record_event(
        resource, step, Outcome.RETRYING, f"{error}; attempt {attempt + 2} at {at:%H:%M:%S} UTC"
    )
    AddonResource.objects.filter(pk=resource.pk).update(lifecycle_error=str(error)[:1000])
    schedule_once(
        REPORT_TASK,
        resource.pk,
        attempt + 1,
        at=at,
        label=f"Report {resource.uuid} to Heroku, attempt {attempt + 2}",
    )
    return f"{work}: retrying at {at:%H:%M:%S}"


def _give_up(resource: AddonResource, work: str, reason: str) -> None:
    """Record that WORK failed for good; a provisioning that cannot finish fails the resource."""
    record_event(resource, STEP_OF[work], Outcome.FAILED, reason)
    with transaction.atomic():
        locked = lock_resource(resource.pk)
        locked.lifecycle_error = reason[:1000]
        fields = ["lifecycle_error", "updated_at"]
        if work == PROVISION and locked.state == State.PROVISIONING:
            locked.state, locked.waiting_on = State.FAILED, WaitingOn.NOTHING
            fields += ["state", "waiting_on"]
        locked.save(update_fields=fields)
        if work == CONFIG:
            rotations_failed(locked, reason=reason)
        alert_operators(locked, f"telling Heroku ({work}) failed: {reason}")


def stalled(*, now: datetime) -> list[int]:
    """Return the ids of resources with work for Heroku that no run holds or will retry.

    A run that died (a worker killed mid-call) leaves no retry behind: its resource has work
    outstanding, no lease in force, and no event for longer than any retry waits. One whose last
    step failed for good is left for people (it was alerted).
    """
    quiet_since = now - timedelta(seconds=MAX_DELAY) - LEASE
    latest = LifecycleEvent.objects.filter(resource=OuterRef("pk")).order_by("-at", "-id")
    candidates = (
        AddonResource.objects.filter(
            Q(waiting_on=WaitingOn.HEROKU)
            | Q(state=State.PROVISIONED, config_version__gt=F("config_pushed_version"))
        )
        .filter(Q(lifecycle_lease_until__isnull=True) | Q(lifecycle_lease_until__lt=now))
        .annotate(
            last_at=Subquery(latest.values("at")[:1]),
            last_outcome=Subquery(latest.values("outcome")[:1]),
        )
        .filter(Q(last_at__isnull=True) | Q(last_at__lt=quiet_since))
        .exclude(last_outcome=Outcome.FAILED)
    )
    return list(candidates.values_list("pk", flat=True))
