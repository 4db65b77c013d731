"""Read Partner API requests: bounded JSON bodies, typed fields, a 4xx naming the field at fault."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from addons.models import Addon
from addons.partner_api.exceptions import (
    InvalidParamsError,
    MalformedRequestError,
    RequestTooLargeError,
    ResourceNotFoundError,
)
from portal import json_input
from portal.text import is_storable_json, parse_uuid, text_problem

# No Partner API body comes near this; anything larger is refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024


# Heroku's grants expire about five minutes after the provisioning request.
DEFAULT_GRANT_LIFETIME = timedelta(minutes=5)


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
        # Every field, "options" included, nests at most json_input.MAX_NESTING levels.
        data = json_input.loads(json_input.decode(body))
    except json_input.NestingTooDeep as exc:
        raise MalformedRequestError(str(exc), outcome=f"nested too deep: {exc.field}") from None
    except json_input.NumberOutOfRange as exc:
        raise MalformedRequestError(str(exc), outcome=f"number out of range: {exc.field}") from None
    except ValueError:  # UnicodeDecodeError is a ValueError
        raise MalformedRequestError("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise MalformedRequestError("The request body must be a JSON object.")
    return data


_UNSTORABLE_MESSAGE = "“{}” contains a NUL character or a lone surrogate, which cannot be stored."


def _string(data: dict, key: str, *, required: bool = False) -> str:
    """Return the one-line text field KEY of DATA (portal.text), or raise a 4xx naming it."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise MalformedRequestError(f"“{key}” is required.", outcome=f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise MalformedRequestError(f"“{key}” must be a string.", outcome=f"malformed {key}")
    problem = text_problem(value, one_line=True)
    if problem:
        raise InvalidParamsError(f"“{key}” {problem}.", outcome=f"refused characters in {key}")
    return value


def parse_resource_uuid(value: str) -> uuidlib.UUID:
    """Return VALUE, a UUID in its canonical 8-4-4-4-12 form (as Heroku sends it), or raise 400."""
    resource_uuid = parse_uuid(value)
    if resource_uuid is None:
        raise MalformedRequestError(
            "“uuid” is not a UUID in the form 8-4-4-4-12 hexadecimal digits.",
            outcome="malformed uuid",
        )
    return resource_uuid


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
    # Logplex credentials: the input URL carries them too, so neither is ever printed.
    log_input_url: str = field(default="", repr=False)
    log_drain_token: str = field(default="", repr=False)

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
            uuid=parse_resource_uuid(_string(data, "uuid", required=True)),
            plan=_string(data, "plan", required=True),
            name=_string(data, "name"),
            region=_string(data, "region"),
            callback_url=_string(data, "callback_url"),
            options=options,
            grant_code=code,
            grant_expires_at=expires_at,
            log_input_url=_string(data, "log_input_url"),
            log_drain_token=_string(data, "log_drain_token"),
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


# Plan changes and de-provisioning ------------------------------------------------------------
def parse_resource_path_uuid(addon: Addon, value: str) -> uuidlib.UUID:
    """Return the uuid in a resource's URL; one not in canonical form names no resource (404)."""
    resource_uuid = parse_uuid(value)
    if resource_uuid is None:
        raise ResourceNotFoundError(
            f"{addon.slug} has no resource {value[:64]}.", outcome="malformed uuid in path"
        )
    return resource_uuid


def parse_plan_change(data: dict) -> str:
    """Return the plan name of a plan change body."""
    return _string(data, "plan", required=True)
