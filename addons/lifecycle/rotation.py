"""Credential rotation: new credentials from the provisioner, pushed to Heroku, the old ones kept
for an overlap window and then retired through the provisioner.

    requested ──(provisioner: Done)──► pushing ──(config on Heroku)──► overlap ──► retired
        └──(Pending)──► waiting_for_service ──(the service's new config)──┘
                                                                  (CREDENTIAL_OVERLAP_SECONDS)

The customer (SSO dashboard), a company user with the manifests right (resource page), the
schedule (CREDENTIAL_ROTATION_DAYS) and the service itself start rotations; one at a time per
resource. Each request and each retirement is audited; Heroku restarts the app when it gets the
new config, which is why the overlap window exists.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import AuditEvent, User
from addons.lifecycle.config import check_config, update_config
from addons.lifecycle.deadline import alert_operators
from addons.lifecycle.events import Outcome, Step, names, record_event
from addons.lifecycle.exceptions import (
    ProvisionerError,
    ProvisionerRefusal,
    RotationInProgress,
    WrongState,
)
from addons.lifecycle.provisioners import Pending
from addons.lifecycle.provisioning import call_provisioner
from addons.lifecycle.queue import (
    RETIRE_TASK,
    ROTATE_TASK,
    enqueue_log_line,
    enqueue_rotation,
    retry_delay,
    schedule_once,
)
from addons.lifecycle.resources import State, lock_resource
from addons.models import AddonResource, CredentialRotation

logger = logging.getLogger(__name__)

Status = CredentialRotation.Status


Trigger = CredentialRotation.Trigger


MAX_ATTEMPTS = 6


IN_PROGRESS = (Status.REQUESTED, Status.WAITING_FOR_SERVICE, Status.PUSHING)


def overlap_window() -> timedelta:
    """Return how long old credentials stay valid after Heroku has the new ones."""
    return timedelta(seconds=settings.CREDENTIAL_OVERLAP_SECONDS)


def _audit(rotation: CredentialRotation, *, action: str, actor: User | None, **details) -> None:
    resource = rotation.resource
    AuditEvent.objects.create(
        company=resource.addon.company,
        actor=actor,
        action=action,
        target=resource.addon.slug,
        details={"resource": str(resource.uuid), "rotation": str(rotation.public_id), **details},
    )


# Requesting a rotation -----------------------------------------------------------------------
def _start(
    locked: AddonResource, *, trigger: str, requested_by: str, actor: User | None
) -> CredentialRotation:
    """Create a rotation of LOCKED (a resource locked for update), audited; one at a time."""
    if locked.state != State.PROVISIONED:
        raise WrongState("Credentials can be rotated once the add-on is provisioned.")
    if locked.rotations.filter(status__in=IN_PROGRESS).exists():
        raise RotationInProgress(
            "A rotation of these credentials is already under way; wait until the new ones are set."
        )
    rotation = CredentialRotation.objects.create(
        resource=locked, trigger=trigger, requested_by=requested_by
    )
    _audit(
        rotation,
        action=AuditEvent.Action.CREDENTIALS_ROTATED,
        actor=actor,
        trigger=trigger,
        by=requested_by,
    )
    record_event(locked, Step.ROTATION, Outcome.QUEUED, rotation.get_trigger_display())
    return rotation


@transaction.atomic
def request_rotation(
    *,
    resource: AddonResource,
    trigger: str,
    requested_by: str = "",
    actor: User | None = None,
) -> CredentialRotation:
    """Start rotating RESOURCE's credentials; the provisioner is asked in the background."""
    locked = lock_resource(resource.pk)
    rotation = _start(locked, trigger=trigger, requested_by=requested_by, actor=actor)
    transaction.on_commit(partial(enqueue_rotation, rotation.pk))
    return rotation


def issue_credentials(*, rotation_id: int, attempt: int = 0) -> str:
    """Ask the provisioner for rotation ROTATION_ID's new credentials; return what happened."""
    rotation = CredentialRotation.objects.select_related("resource__addon", "resource__plan").get(
        pk=rotation_id
    )
    resource = rotation.resource
    if rotation.status != Status.REQUESTED or resource.state != State.PROVISIONED:
        return "nothing to do"
    try:
        answer = call_provisioner(
            resource,
            Step.ROTATION,
            lambda provisioner: provisioner.rotate_credentials(
                resource=resource, rotation=rotation
            ),
        )
    except ProvisionerRefusal as refusal:
        _fail(rotation, f"refused: {refusal.message}")
        return "refused"
    except ProvisionerError as exc:
        if attempt + 1 >= MAX_ATTEMPTS:
            _fail(rotation, f"{exc}; gave up after {attempt + 1} attempts", alert=True)
            return "gave up"
        at = timezone.now() + retry_delay(attempt)
        record_event(
            resource, Step.ROTATION, Outcome.RETRYING, f"attempt {attempt + 2} at {at:%H:%M:%S} UTC"
        )
        schedule_once(
            ROTATE_TASK, rotation.pk, attempt + 1, at=at, label=f"Rotation {rotation.public_id}"
        )
        return "retrying"
    if isinstance(answer, Pending):
        CredentialRotation.objects.filter(pk=rotation.pk, status=Status.REQUESTED).update(
            status=Status.WAITING_FOR_SERVICE
        )
        record_event(
            resource, Step.ROTATION, Outcome.PENDING, answer.message or "the service said so"
        )
        return "pending"
    try:
        apply_new_credentials(rotation=rotation, config=answer.config)
    except Exception as exc:  # config the manifest refuses, or a resource gone meanwhile
        _fail(rotation, f"the service's new config: {exc}", alert=True)
        return "failed"
    return "pushing"


@transaction.atomic
def apply_new_credentials(*, rotation: CredentialRotation, config) -> CredentialRotation:
    """Store ROTATION's new credentials (CONFIG) and queue them for Heroku."""
    resource = update_config(
        resource=rotation.resource,
        config=config,
        source="rotation",
        rotation_id=str(rotation.public_id),
    )
    rotation.status = Status.PUSHING
    rotation.config_version = resource.config_version
    rotation.save(update_fields=["status", "config_version"])
    if not resource.config_push_outstanding:  # the "new" credentials are the ones Heroku has
        transaction.on_commit(
            partial(rotations_pushed, resource, version=resource.config_version, now=None)
        )
    return rotation


@transaction.atomic
def complete_rotation(*, resource: AddonResource, config) -> CredentialRotation:
    """Take new credentials from RESOURCE's service: they finish the rotation waiting for them,
    or are a rotation of the service's own (audited like any other)."""
    config = check_config(resource.addon, config)
    locked = lock_resource(resource.pk)
    rotation = locked.rotations.filter(status__in=IN_PROGRESS).first()
    if rotation is None:
        rotation = _start(locked, trigger=Trigger.SERVICE, requested_by="service", actor=None)
    elif rotation.status == Status.PUSHING:
        raise RotationInProgress("This rotation's new credentials are being sent to Heroku.")
    record_event(locked, Step.ROTATION, Outcome.DONE, f"the service issued {names(config)}")
    return apply_new_credentials(rotation=rotation, config=config)


# Once Heroku has the new credentials ---------------------------------------------------------
def rotations_pushed(resource: AddonResource, *, version: int, now: datetime | None) -> None:
    """Start the overlap window of each rotation whose config (VERSION or older) is on Heroku."""
    now = now or timezone.now()
    retire_after = now + overlap_window()
    when = f"{retire_after:%Y-%m-%d %H:%M:%S} UTC"
    for rotation in resource.rotations.filter(status=Status.PUSHING, config_version__lte=version):
        updated = CredentialRotation.objects.filter(pk=rotation.pk, status=Status.PUSHING).update(
            status=Status.OVERLAP, pushed_at=now, retire_after=retire_after
        )
        if not updated:
            continue
        AddonResource.objects.filter(pk=resource.pk).update(credentials_issued_at=now)
        record_event(
            resource,
            Step.ROTATION,
            Outcome.DONE,
            f"new credentials on Heroku; the old ones retire at {when}",
        )
        schedule_once(
            RETIRE_TASK, rotation.pk, at=retire_after, label=f"Retire {rotation.public_id}"
        )
        if resource.log_input_url:
            enqueue_log_line(
                resource.pk,
                f"{resource.addon.name} rotated its credentials; the old ones stop working at "
                f"{when}.",
            )


def rotations_failed(resource: AddonResource, *, reason: str) -> None:
    """Fail every rotation of RESOURCE whose new config could not reach Heroku."""
    resource.rotations.filter(status=Status.PUSHING).update(
        status=Status.FAILED, error=reason[:500]
    )


def _fail(rotation: CredentialRotation, reason: str, *, alert: bool = False) -> None:
    CredentialRotation.objects.filter(pk=rotation.pk).update(
        status=Status.FAILED, error=reason[:500]
    )
    record_event(rotation.resource, Step.ROTATION, Outcome.FAILED, reason)
    if alert:
        alert_operators(rotation.resource, f"a credential rotation failed: {reason}")


# Retiring the old credentials ----------------------------------------------------------------
def retire_credentials(*, rotation_id: int, now: datetime | None = None) -> str:
    """Retire the credentials rotation ROTATION_ID replaced, once its window is over."""
    now = now or timezone.now()
    claimed = CredentialRotation.objects.filter(
        pk=rotation_id, status=Status.OVERLAP, retire_after__lte=now
    ).update(retire_after=now + timedelta(minutes=5))  # a lease: no second run meanwhile
    if not claimed:
        return "not due"
    rotation = CredentialRotation.objects.select_related("resource__addon__company").get(
        pk=rotation_id
    )
    resource = rotation.resource
    if resource.state in (State.PROVISIONED, State.PROVISIONING):
        try:
            call_provisioner(
                resource,
                Step.RETIREMENT,
                lambda provisioner: provisioner.retire_credentials(
                    resource=resource, rotation=rotation
                ),
            )
        except ProvisionerError:
            at = now + retry_delay(0)
            CredentialRotation.objects.filter(pk=rotation_id).update(retire_after=at)
            record_event(resource, Step.RETIREMENT, Outcome.RETRYING, f"again at {at:%H:%M:%S} UTC")
            return "retrying"
        except ProvisionerRefusal as refusal:
            _fail(rotation, f"retirement refused: {refusal.message}", alert=True)
            return "refused"
    with transaction.atomic():
        CredentialRotation.objects.filter(pk=rotation_id).update(
            status=Status.RETIRED, retired_at=now
        )
        _audit(rotation, action=AuditEvent.Action.CREDENTIALS_RETIRED, actor=None)
        record_event(resource, Step.RETIREMENT, Outcome.DONE, f"rotation {rotation.public_id}")
    return "retired"


def retire_due_credentials(*, now: datetime | None = None) -> int:
    """Retire every old credential whose overlap window is over; return how many were retired."""
    now = now or timezone.now()
    due = CredentialRotation.objects.filter(status=Status.OVERLAP, retire_after__lte=now)
    ids = list(due.order_by("retire_after").values_list("pk", flat=True)[:500])
    return sum(retire_credentials(rotation_id=pk, now=now) == "retired" for pk in ids)


def rotate_due_credentials(*, now: datetime | None = None) -> int:
    """Request a rotation of every provisioned resource whose credentials are older than
    CREDENTIAL_ROTATION_DAYS (0: never); return how many were requested."""
    if settings.CREDENTIAL_ROTATION_DAYS <= 0:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.CREDENTIAL_ROTATION_DAYS)
    due = (
        AddonResource.objects.provisioned()
        .annotate(last_request=Max("rotations__requested_at"))
        .filter(
            Q(credentials_issued_at__lt=cutoff)
            | Q(credentials_issued_at__isnull=True, created_at__lt=cutoff)
        )
        .filter(Q(last_request__isnull=True) | Q(last_request__lt=cutoff))
        .exclude(rotations__status__in=IN_PROGRESS)
    )
    requested = 0
    for resource in due.order_by("pk")[:500]:
        try:
            request_rotation(resource=resource, trigger=Trigger.SCHEDULE, requested_by="schedule")
        except WrongState as exc:
            logger.info("Scheduled rotation of %s skipped: %s", resource.uuid, exc)
            continue
        requested += 1
    return requested
