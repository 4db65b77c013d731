"""The Add-on Partner API v3: Heroku provisions, changes the plan of and de-provisions resources.

Every write is one service function here; `addons.views` only reads the HTTP envelope, calls a
service and records the call (`record_partner_call`).

Provisioning writes the resource in one short transaction *before* the OAuth grant is exchanged.
The unique uuid thereby decides between two concurrent deliveries of the same request before the
single-use grant is spent, and no database transaction stays open during an HTTP call to Heroku.
The exchange then completes the row in a second transaction; a passing failure keeps the grant
(encrypted) with `grant_error` set and retries in the background while the grant is valid.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.tasks import async_task, schedule

from addons.exceptions import (
    InvalidParamsError,
    MalformedRequestError,
    PartnerAuthError,
    PlanRefusedError,
    RequestTooLargeError,
    ResourceConflictError,
    ResourceNotFoundError,
)
from addons.heroku import HerokuAPIError, OAuthClient, OAuthError
from addons.models import Addon, AddonResource, PartnerAPICall, Plan, generate_secret
from portal.crypto import decrypt, encrypt
from portal.text import is_storable, is_storable_json, storable

logger = logging.getLogger(__name__)

# No Partner API body comes near this; anything larger is refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024
# Short, so that a provisioning answer stays within Heroku's 3 s target (a hung connect or read
# is cut after 2 s) and far within its 25 s limit.
GRANT_EXCHANGE_TIMEOUT = 2.0
# Heroku's grants expire about five minutes after the provisioning request.
DEFAULT_GRANT_LIFETIME = timedelta(minutes=5)
# Seconds before each background retry of a grant exchange (the grant's lifetime bounds them).
GRANT_RETRY_DELAYS = (10, 20, 40, 80, 150)
PROVISION_MESSAGE = "Thanks for installing {name}. Open it from your app's add-on list."
SYNC_TASK = "addons.tasks.sync_resource_task"
GRANT_RETRY_TASK = "addons.provisioning.retry_grant_exchange"


# Authentication ------------------------------------------------------------------------------
@cache
def _dummy_ciphertext(keys: tuple[str, ...]) -> str:
    return encrypt(generate_secret())


def _dummy_password() -> str:
    # Decrypted like a real password, so that an unknown id costs about as long as a known one.
    return decrypt(_dummy_ciphertext(tuple(settings.FIELD_ENCRYPTION_KEY)))


def authenticate_partner(authorization: str) -> Addon:
    """Return the add-on whose manifest id and password are in the Basic AUTHORIZATION header."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise PartnerAuthError("Authentication required.", outcome="unauthorized: no credentials")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise PartnerAuthError(
            "Authentication failed.", outcome="unauthorized: malformed credentials"
        ) from None
    slug, _, password = decoded.partition(":")
    # A NUL in a query parameter is an error on PostgreSQL: such an id names no add-on.
    known = slug and is_storable(slug)
    addon = Addon.objects.select_related("company").filter(slug=slug).first() if known else None
    expected = addon.api_password if addon is not None else _dummy_password()
    password_matches = hmac.compare_digest(password.encode(), expected.encode())
    if addon is None or not password_matches:
        error = PartnerAuthError(
            "Authentication failed.",
            outcome="unauthorized: wrong password" if addon else "unauthorized: unknown add-on id",
        )
        error.addon = addon
        raise error
    return addon


# Reading requests ----------------------------------------------------------------------------
def read_json_object(body: bytes, *, content_length: int | None = None) -> dict:
    """Return BODY parsed as a JSON object, or raise the 4xx error that describes why not."""
    if (content_length or 0) > MAX_BODY_BYTES or len(body) > MAX_BODY_BYTES:
        raise RequestTooLargeError(
            f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.",
            outcome="request too large",
        )
    if not body.strip():
        raise MalformedRequestError("The request body is empty; a JSON object is expected.")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise MalformedRequestError("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise MalformedRequestError("The request body must be a JSON object.")
    return data


_UNSTORABLE_MESSAGE = "“{}” contains a NUL character or a lone surrogate, which cannot be stored."


def _string(data: dict, key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise MalformedRequestError(f"“{key}” is required.", outcome=f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise MalformedRequestError(f"“{key}” must be a string.", outcome=f"malformed {key}")
    if not is_storable(value):
        raise InvalidParamsError(_UNSTORABLE_MESSAGE.format(key), outcome=f"unstorable {key}")
    return value


def parse_uuid(value: str) -> uuidlib.UUID:
    """Return VALUE as a UUID, or raise a 400 error."""
    try:
        return uuidlib.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise MalformedRequestError(
            "“uuid” is not a valid UUID.", outcome="malformed uuid"
        ) from None


@dataclass(frozen=True)
class ProvisionRequest:
    """The parts of a provisioning request the portal uses (unknown fields are ignored)."""

    uuid: uuidlib.UUID
    plan: str
    name: str = ""
    region: str = ""
    callback_url: str = ""
    options: dict = field(default_factory=dict)
    grant_code: str = field(default="", repr=False)
    grant_expires_at: datetime | None = None

    @classmethod
    def from_json(cls, data: dict) -> ProvisionRequest:
        """Return the request in DATA, or raise a 4xx error naming the field at fault."""
        options = data.get("options")
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise MalformedRequestError("“options” must be a JSON object.")
        if not is_storable_json(options):
            raise InvalidParamsError(
                _UNSTORABLE_MESSAGE.format("options"), outcome="unstorable options"
            )
        grant = data.get("oauth_grant")
        code, expires_at = "", None
        if grant is not None:
            if not isinstance(grant, dict):
                raise MalformedRequestError("“oauth_grant” must be a JSON object or null.")
            code = _string(grant, "code", required=True)
            # A malformed expiry is not worth failing a provisioning for: assume the usual one.
            expires_at = _parse_expiry(grant.get("expires_at"))
        return cls(
            uuid=parse_uuid(_string(data, "uuid", required=True)),
            plan=_string(data, "plan", required=True),
            name=_string(data, "name"),
            region=_string(data, "region"),
            callback_url=_string(data, "callback_url"),
            options=options,
            grant_code=code,
            grant_expires_at=expires_at,
        )


def _parse_expiry(value) -> datetime:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
        # Normalised here: an offset at the edge of the calendar overflows on the way to the
        # database otherwise ("0001-01-01T00:00:00+01:00").
        parsed = parsed.astimezone(UTC) if parsed and timezone.is_aware(parsed) else None
    except (ValueError, OverflowError):  # well-formed but impossible: month 13, hour 25
        parsed = None
    if parsed is None:
        return timezone.now() + DEFAULT_GRANT_LIFETIME
    return parsed


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


def config_vars_prefix(addon: Addon) -> str:
    """Return ADDON's config var prefix: its own, or its slug upper-cased with '-' as '_'."""
    return addon.config_vars_prefix or addon.slug.upper().replace("-", "_")


def resource_config(addon: Addon, resource_uuid: uuidlib.UUID) -> dict[str, str]:
    """Return the config vars of a new resource: one URL, on the add-on's host, per resource."""
    parts = urlsplit(addon.base_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    url = f"{origin or settings.SITE_URL}/resources/{resource_uuid}"
    return {f"{config_vars_prefix(addon)}_URL": url}


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


# The OAuth grant -----------------------------------------------------------------------------
def exchange_resource_grant(resource: AddonResource, *, attempt: int = 0) -> bool:
    """Exchange RESOURCE's stored grant for tokens; return True when it got them.

    A refusal is final (the grant is dropped); a passing failure keeps the grant and schedules a
    retry while it is valid. Either way `grant_error` says what happened, and the resource is
    provisioned: Heroku has its config, only the access list waits for the tokens.
    """
    addon = resource.addon
    try:
        if not addon.oauth_client_secret:
            raise HerokuAPIError("the add-on has no OAuth client secret in the portal")
        tokens = OAuthClient(timeout=GRANT_EXCHANGE_TIMEOUT).exchange_grant(
            code=resource.grant_code, client_secret=addon.oauth_client_secret
        )
    except OAuthError as exc:
        _store_grant_failure(resource, f"Heroku refused the OAuth grant: {exc}", retry_at=None)
        return False
    except HerokuAPIError as exc:  # RetryLater, a malformed answer, or no client secret
        retry_at = _next_retry_at(resource, attempt)
        if retry_at is None:
            error = f"The OAuth grant could not be exchanged ({exc}); gave up after "
            error += f"{attempt + 1} attempt(s)."
        else:
            error = f"The OAuth grant exchange failed ({exc}) on attempt {attempt + 1}; "
            error += f"retrying at {retry_at:%H:%M:%S} UTC."
        _store_grant_failure(resource, error, retry_at=retry_at, attempt=attempt)
        return False
    with transaction.atomic():
        locked = AddonResource.objects.select_for_update().get(pk=resource.pk)
        if locked.state == AddonResource.State.DEPROVISIONED:
            return False  # de-provisioned meanwhile: keep no tokens for it
        locked.access_token = tokens.access_token
        locked.refresh_token = tokens.refresh_token
        locked.token_expires_at = tokens.expires_at
        locked.grant_code = ""
        locked.grant_expires_at = None
        locked.grant_error = ""
        locked.state = AddonResource.State.PROVISIONED
        locked.save(
            update_fields=[
                "access_token",
                "refresh_token",
                "token_expires_at",
                "grant_code",
                "grant_expires_at",
                "grant_error",
                "state",
                "updated_at",
            ]
        )
        transaction.on_commit(partial(async_task, SYNC_TASK, locked.pk))
    _copy_fields(locked, resource)
    return True


def _next_retry_at(resource: AddonResource, attempt: int) -> datetime | None:
    if attempt >= len(GRANT_RETRY_DELAYS):
        return None
    retry_at = timezone.now() + timedelta(seconds=GRANT_RETRY_DELAYS[attempt])
    if resource.grant_expires_at is not None and retry_at >= resource.grant_expires_at:
        return None
    return retry_at


def _store_grant_failure(
    resource: AddonResource, error: str, *, retry_at: datetime | None, attempt: int = 0
) -> None:
    logger.warning("resource %s: %s", resource.uuid, error)
    with transaction.atomic():
        locked = AddonResource.objects.select_for_update().get(pk=resource.pk)
        if locked.state == AddonResource.State.DEPROVISIONED:
            return
        locked.grant_error = error
        if retry_at is None:
            # Nothing will use the grant again: do not keep a secret for nothing.
            locked.grant_code = ""
            locked.grant_expires_at = None
        locked.state = AddonResource.State.PROVISIONED
        locked.save(
            update_fields=["grant_error", "grant_code", "grant_expires_at", "state", "updated_at"]
        )
        if retry_at is not None:
            transaction.on_commit(
                partial(
                    schedule,
                    GRANT_RETRY_TASK,
                    locked.pk,
                    attempt + 1,
                    next_run=retry_at,
                    name=f"Grant exchange of {locked.uuid}, attempt {attempt + 2}",
                )
            )
    _copy_fields(locked, resource)


def _copy_fields(source: AddonResource, target: AddonResource) -> None:
    if source is not target:
        for name in ("access_token", "refresh_token", "token_expires_at", "grant_code"):
            setattr(target, name, getattr(source, name))
        for name in ("grant_expires_at", "grant_error", "state", "updated_at"):
            setattr(target, name, getattr(source, name))


def retry_grant_exchange(resource_id: int, attempt: int) -> bool:
    """Retry the exchange of a resource's provisioning grant (a django-q2 task)."""
    resource = AddonResource.objects.select_related("addon").filter(pk=resource_id).first()
    if (
        resource is None
        or not resource.grant_code
        or resource.state == AddonResource.State.DEPROVISIONED
    ):
        return False
    if resource.grant_expires_at is not None and resource.grant_expires_at <= timezone.now():
        _store_grant_failure(
            resource,
            "The OAuth grant expired before it could be exchanged; the access list cannot be "
            "read until the add-on is installed again.",
            retry_at=None,
        )
        return False
    return exchange_resource_grant(resource, attempt=attempt)


# Plan changes and de-provisioning ------------------------------------------------------------
def parse_resource_path_uuid(addon: Addon, value: str) -> uuidlib.UUID:
    """Return the uuid in a resource's URL; a malformed one names no resource (404)."""
    try:
        return uuidlib.UUID(value)
    except ValueError:
        raise ResourceNotFoundError(
            f"{addon.slug} has no resource {value[:64]}.", outcome="malformed uuid in path"
        ) from None


def parse_plan_change(data: dict) -> str:
    """Return the plan name of a plan change body."""
    return _string(data, "plan", required=True)


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


# The call log --------------------------------------------------------------------------------
def record_partner_call(
    *,
    addon: Addon | None,
    method: str,
    path: str,
    resource_uuid: str,
    status_code: int,
    outcome: str,
    duration_ms: int,
) -> PartnerAPICall:
    """Record one Partner API call: what was asked and how it ended, never a body or secret."""
    # The path and uuid come from the request as sent: keep them storable, or the log itself fails.
    return PartnerAPICall.objects.create(
        addon=addon,
        method=storable(method[:10]),
        path=storable(path[:255]),
        resource_uuid=storable(resource_uuid[:64]),
        status_code=status_code,
        outcome=storable(outcome[:255]),
        duration_ms=max(duration_ms, 0),
    )
