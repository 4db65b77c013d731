"""The ticket intake API: a support tool posts tickets with its add-on's bearer token.

`POST /tickets/intake`, `Authorization: Bearer <token>`, a JSON object (see README.md, "Ticket
intake API"). Every refusal is an `IntakeError` carrying the HTTP status to answer.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.addresses import normalize_email, validate_email_address
from addons.models import Addon, AddonResource, Ticket
from addons.tickets.exceptions import IntakeError
from portal import json_input
from portal.text import is_storable, parse_uuid, text_problem

MAX_BODY_BYTES = 64 * 1024

REQUIRED_FIELDS = ("addon", "subject", "body", "requester_email")
OPTIONAL_FIELDS = ("resource", "priority", "escalate")


@dataclass(frozen=True)
class IntakeRequest:
    addon: Addon
    resource: AddonResource | None
    subject: str
    body: str
    requester_email: str
    priority: str
    escalate: bool


def bearer_token(authorization: str) -> str:
    """Return the token of an `Authorization: Bearer …` header, or raise a 401 IntakeError."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise IntakeError(
            "Send the add-on's intake token as 'Authorization: Bearer <token>'.", status=401
        )
    return token


def read_payload(raw: bytes) -> dict:
    """Return the JSON object in RAW, or raise a 400/413 IntakeError."""
    if len(raw) > MAX_BODY_BYTES:
        raise IntakeError(f"The request body is larger than {MAX_BODY_BYTES} bytes.", status=413)
    try:
        payload = json_input.loads(raw.decode("utf-8"))
    except (json_input.NestingTooDeep, json_input.NumberOutOfRange) as exc:
        raise IntakeError(str(exc), status=400) from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise IntakeError(f"The request body is not valid JSON: {exc}", status=400) from None
    if not isinstance(payload, dict):
        raise IntakeError("The request body must be a JSON object.", status=400)
    return payload


def authenticate(payload: dict, token: str) -> Addon:
    """Return the add-on named in PAYLOAD if TOKEN is its intake token, or raise a 401."""
    slug = payload.get("addon")
    # A NUL in a query parameter is an error on PostgreSQL: such a slug names no add-on.
    known = isinstance(slug, str) and is_storable(slug)
    addon = Addon.objects.filter(slug=slug).first() if known else None
    # An unknown add-on and a wrong token get the same answer, after the same work.
    matches = (addon or Addon()).intake_token_matches(token)
    if addon is None or not matches:
        raise IntakeError("The token is not valid for this add-on.", status=401)
    return addon


def validate_payload(payload: dict, *, addon: Addon) -> IntakeRequest:
    """Return the ticket PAYLOAD asks for, or raise a 422 IntakeError naming the problem."""
    missing = [name for name in REQUIRED_FIELDS if name not in payload]
    if missing:
        raise IntakeError(f"Missing field(s): {', '.join(missing)}.", status=422)
    unknown = sorted(set(payload) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise IntakeError(f"Unknown field(s): {', '.join(unknown)}.", status=422)
    subject = _string(
        payload, "subject", max_length=Ticket._meta.get_field("subject").max_length, one_line=True
    )
    body = _string(payload, "body")
    requester_email = _email(payload, "requester_email")
    priority = payload.get("priority", Ticket.Priority.NORMAL)
    if priority not in Ticket.Priority.values:
        choices = ", ".join(Ticket.Priority.values)
        raise IntakeError(f"priority must be one of: {choices}.", status=422)
    escalate = payload.get("escalate", False)
    if not isinstance(escalate, bool):
        raise IntakeError("escalate must be true or false.", status=422)
    return IntakeRequest(
        addon=addon,
        resource=_resource(payload.get("resource"), addon=addon),
        subject=subject,
        body=body,
        requester_email=requester_email,
        priority=priority,
        escalate=escalate,
    )


def _string(
    payload: dict, name: str, *, max_length: int | None = None, one_line: bool = False
) -> str:
    """Return the text field NAME of PAYLOAD, stripped, or raise a 422 naming the field.

    The length is that of the value as sent, as docs/openapi.yaml's `maxLength` says.
    """
    value = payload[name]
    if not isinstance(value, str) or not value.strip():
        raise IntakeError(f"{name} must be a non-empty string.", status=422)
    problem = text_problem(value, one_line=one_line)
    if problem:
        raise IntakeError(f"{name} {problem}.", status=422)
    if max_length is not None and len(value) > max_length:
        raise IntakeError(f"{name} must be at most {max_length} characters.", status=422)
    return value.strip()


def _email(payload: dict, name: str) -> str:
    """Return the e-mail address NAME of PAYLOAD in its normal form, or raise a 422."""
    value = _string(payload, name, max_length=254, one_line=True)
    try:
        validate_email_address(value)
        value = normalize_email(value)
        validate_email(value)
    except ValidationError as refusal:
        detail = refusal.messages[0] if refusal.code == "invisible_characters" else ""
        raise IntakeError(
            f"{name} is not a valid email address. {detail}".strip(), status=422
        ) from None
    return value


def _resource(value, *, addon: Addon) -> AddonResource | None:
    if value is None:
        return None
    resource_uuid = parse_uuid(value)
    if resource_uuid is None:
        raise IntakeError(
            "resource must be a resource UUID (8-4-4-4-12 hexadecimal digits).", status=422
        )
    resource = AddonResource.objects.filter(uuid=resource_uuid, addon=addon).first()
    if resource is None:
        raise IntakeError("No such resource of this add-on.", status=422)
    return resource
