"""The portal's API for an add-on's own service: it reports what it finished later.

    POST /lifecycle/resources/<uuid>/provisioned    {"config": {"NAME": "value", …}}
    POST /lifecycle/resources/<uuid>/deprovisioned  {}
    POST /lifecycle/resources/<uuid>/credentials    {"config": {…}}   (new credentials)
    POST /lifecycle/resources/<uuid>/config         {"config": {…}}   (any other change)

Each request is signed like the portal's events (`addons.lifecycle.signing`) with the add-on's
signing secret; a bad signature, an old or future timestamp, or an event id used before gets 401.
Answers are JSON: 200 `{"id", "message"}` (a repeated completion included), 400 for a body that
is not what the path expects, 404 for an unknown resource, 409 when the resource is not waiting
for this, 413 for a body over 64 KB, 422 for config the manifest does not allow.
"""

from __future__ import annotations

import json
import logging
import uuid as uuidlib

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from addons.lifecycle import config as lifecycle_config
from addons.lifecycle import provisioning, rotation
from addons.lifecycle.exceptions import ConfigRefused, SignatureError, WrongState
from addons.lifecycle.signing import spend_event_id, verify_signature
from addons.models import AddonResource, AddonService

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


class APIError(Exception):
    """A request of the service's API that is refused with STATUS and MESSAGE."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


def _resource(resource_uuid: str) -> AddonResource:
    try:
        value = uuidlib.UUID(resource_uuid)
    except ValueError:
        raise APIError(404, "No resource has this id.") from None
    resource = (
        AddonResource.objects.select_related("addon__company", "plan").filter(uuid=value).first()
    )
    if resource is None:
        raise APIError(404, "No resource has this id.")
    return resource


def _authenticate(request, resource: AddonResource) -> bytes:
    """Return the body of REQUEST once its signature, timestamp and event id check out."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        raise APIError(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KB.")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise APIError(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KB.")
    service = AddonService.objects.filter(addon=resource.addon).first()
    secret = service.signing_secret if service is not None else ""
    try:
        event = verify_signature(secret, headers=request.headers, body=body)
        spend_event_id(addon=resource.addon, event=event)
    except SignatureError as exc:
        raise APIError(401, str(exc)) from None
    return body


def _config(body: bytes, *, required: bool = True) -> dict:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise APIError(400, "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise APIError(400, "The body must be a JSON object.")
    config = data.get("config")
    if config is None and not required:
        return {}
    if not isinstance(config, dict):
        raise APIError(400, '"config" must be an object of config var names and values.')
    return config


def _provisioned(resource, body) -> str:
    step = provisioning.complete_provisioning(resource=resource, config=_config(body))
    if step.message:
        return f"Provisioning was {step.message}."
    return "Provisioning is complete; the portal tells Heroku now."


def _deprovisioned(resource, body) -> str:
    _config(body, required=False)
    step = provisioning.complete_deprovisioning(resource=resource)
    if step.message:
        return f"De-provisioning was {step.message}."
    return "De-provisioning is complete; the portal tells Heroku now."


def _credentials(resource, body) -> str:
    done = rotation.complete_rotation(resource=resource, config=_config(body))
    return (
        f"Rotation {done.public_id}: the new credentials go to Heroku now; the old ones are "
        f"retired {settings.CREDENTIAL_OVERLAP_SECONDS} seconds after that."
    )


def _new_config(resource, body) -> str:
    lifecycle_config.update_config(resource=resource, config=_config(body), source="service")
    return "The config goes to Heroku now."


HANDLERS = {
    "provisioned": _provisioned,
    "deprovisioned": _deprovisioned,
    "credentials": _credentials,
    "config": _new_config,
}


@csrf_exempt
def service_report(request, resource_uuid: str, report: str):
    """POST /lifecycle/resources/<uuid>/<report>: the add-on's service reports what it did."""
    if request.method != "POST":
        response = JsonResponse({"message": "Use POST."}, status=405)
        response["Allow"] = "POST"
        return response
    try:
        resource = _resource(resource_uuid)
        body = _authenticate(request, resource)
        message = HANDLERS[report](resource, body)
    except APIError as exc:
        status, message = exc.status, exc.message
    except ConfigRefused as exc:
        status, message = 422, str(exc)
    except WrongState as exc:
        status, message = 409, str(exc)
    else:
        return JsonResponse({"id": str(resource.uuid), "message": message})
    logger.info("Service report %s on %s refused: %s", report, resource_uuid[:64], status)
    return JsonResponse({"message": message}, status=status)
