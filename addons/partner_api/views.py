"""The Add-on Partner API endpoints Heroku calls.

Each reads the envelope, calls one service and records the call in the call log.
"""

import logging
import time

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from addons.partner_api import auth, calls, parsing, services
from addons.partner_api.exceptions import PartnerAPIError, PartnerAuthError

logger = logging.getLogger(__name__)


# Add-on Partner API (Heroku calls these) -------------------------------------------------------
PARTNER_API_REALM = 'Basic realm="Heroku Add-on Partner API", charset="UTF-8"'


class _PartnerCall:
    """What the call log records about one call, filled in as it becomes known."""

    def __init__(self, resource_uuid: str = ""):
        self.resource_uuid = resource_uuid


def _serve_partner_call(request, handler, *, allowed: list[str], resource_uuid: str = ""):
    """Authenticate REQUEST, run HANDLER(request, addon, call) → (status, body, outcome), log it.

    Every call is recorded in the call log, whatever its outcome. A service's own transaction
    rolls back whatever it wrote when it fails, so a failed call leaves no half-written row.
    """
    started = time.monotonic()
    call = _PartnerCall(resource_uuid)
    addon, headers = None, {}
    try:
        addon = auth.authenticate_partner(request.headers.get("Authorization", ""))
        if request.method not in allowed:
            headers["Allow"] = ", ".join(allowed)
            status, body = 405, {"message": f"Use {' or '.join(allowed)}."}
            outcome = "method not allowed"
        else:
            status, body, outcome = handler(request, addon, call)
    except PartnerAuthError as exc:
        addon = getattr(exc, "addon", None)
        headers["WWW-Authenticate"] = PARTNER_API_REALM
        status, body, outcome = exc.status, {"message": exc.message}, exc.outcome
    except PartnerAPIError as exc:
        status, body, outcome = exc.status, {"message": exc.message}, exc.outcome
    except Exception:
        # A fault of ours, not of the request: Heroku retries, and the operator sees the log.
        logger.exception("Partner API %s %s failed", request.method, request.path)
        status, body = 500, {"message": "The add-on could not complete the request; retry later."}
        outcome = "internal error"
    response = HttpResponse(status=204) if body is None else JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    calls.record_partner_call(
        addon=addon,
        method=request.method,
        path=request.path,
        resource_uuid=call.resource_uuid,
        status_code=status,
        outcome=outcome,
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    return response


def _request_json(request) -> dict:
    try:
        content_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        content_length = 0
    if content_length > parsing.MAX_BODY_BYTES:
        # Refused before the body is read.
        return parsing.read_json_object(b"", content_length=content_length)
    return parsing.read_json_object(request.body)


def _provision(request, addon, call):
    data = _request_json(request)
    if isinstance(data.get("uuid"), str):
        call.resource_uuid = data["uuid"]
    provision_request = parsing.ProvisionRequest.from_json(data)
    result = services.provision_resource(addon=addon, request=provision_request)
    return (202 if result.pending else 200), result.answer(), _provision_outcome(result)


def _provision_outcome(result) -> str:
    resource = result.resource
    if not result.created:
        outcome = "repeated delivery: answered as before"
    elif resource.grant_error:
        outcome = "provisioned; grant exchange failed, "
        outcome += "retry scheduled" if resource.grant_code else "not retried"
    elif resource.access_token:
        outcome = "provisioned; tokens stored"
    else:
        outcome = "provisioned without an OAuth grant"
    if result.pending and result.created:
        outcome = outcome.replace("provisioned", "pending in the add-on's service", 1)
    return outcome


def _change_plan_or_deprovision(request, addon, call):
    resource_uuid = parsing.parse_resource_path_uuid(addon, call.resource_uuid)
    if request.method == "DELETE":
        step = services.deprovision_resource(addon=addon, resource_uuid=resource_uuid)
        if step.pending:
            body = {"message": "The add-on is being de-provisioned."}
            return 202, body, "de-provisioning pending in the add-on's service"
        return 204, None, "deprovisioned"
    plan_name = parsing.parse_plan_change(_request_json(request))
    step = services.change_plan(addon=addon, resource_uuid=resource_uuid, plan_name=plan_name)
    resource = step.resource
    body = {"message": f"Your plan is now {resource.plan.name}.", "config": resource.config}
    outcome = f"plan is {resource.plan.slug}"
    if step.pending:
        outcome += "; passed on once provisioning is done"
    return 200, body, outcome


@csrf_exempt
def partner_resources(request):
    """POST /heroku/resources: provision a resource."""
    return _serve_partner_call(request, _provision, allowed=["POST"])


@csrf_exempt
def partner_resource(request, resource_uuid: str):
    """PUT or DELETE /heroku/resources/<uuid>: change the plan of or de-provision a resource."""
    return _serve_partner_call(
        request,
        _change_plan_or_deprovision,
        allowed=["PUT", "DELETE"],
        resource_uuid=resource_uuid,
    )
