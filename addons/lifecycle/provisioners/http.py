"""The HTTP provisioner: signed JSON events to the add-on's own service, in any language.

Each operation is one POST to the service's URL (`AddonService.url`), signed as
`addons.lifecycle.signing` says, with a body like

    {"id": "<event id>", "type": "resource.provision", "created_at": "2026-01-01T12:00:00Z",
     "addon": "acme-search",
     "resource": {"uuid": "…", "name": "…", "plan": "basic", "region": "…", "options": {}},
     "rotation": {"id": "…"}}                 (credential events only)

Event types: `resource.provision`, `resource.plan_change`, `resource.deprovision`,
`credentials.rotate`, `credentials.retire`. The service answers 2xx with
`{"status": "done", "config": {"NAME": "value"}, "message": "…"}` or `{"status": "pending"}`
(and later calls the portal's API, `addons.lifecycle.api`), or 422 `{"message": "…"}` to refuse
(the message reaches the Heroku user). Anything else is a failure that the portal reports or
retries. Every attempt is a new event with a new id: an operation may repeat, an event never.
"""

from __future__ import annotations

import json
import uuid

import requests
from django.conf import settings
from django.utils import timezone

from addons.heroku.session import USER_AGENT
from addons.lifecycle.exceptions import ProvisionerError, ProvisionerRefusal, ServiceNotConfigured
from addons.lifecycle.provisioners.base import Done, Pending, Provisioner
from addons.lifecycle.signing import signed_headers
from addons.models import AddonService

MAX_MESSAGE = 500


class HTTPProvisioner(Provisioner):
    """Send each operation as a signed event to the add-on's service and read its answer."""

    def __init__(self, service: AddonService, *, timeout: float | None = None):
        if not service.is_configured:
            raise ServiceNotConfigured(f"{service.addon.slug} has no service URL and secret.")
        self.service = service
        self.timeout = timeout or settings.PROVISIONER_TIMEOUT
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.trust_env = False

    def provision(self, *, resource, plan, region, options) -> Done | Pending:
        """Send `resource.provision`; return the service's config, or Pending."""
        return self._deliver("resource.provision", resource, plan=plan.slug)

    def change_plan(self, *, resource, plan) -> Done:
        """Send `resource.plan_change`; a "pending" answer counts as done without config."""
        answer = self._deliver("resource.plan_change", resource, plan=plan.slug)
        return answer if isinstance(answer, Done) else Done(message=answer.message)

    def deprovision(self, *, resource) -> Done | Pending:
        """Send `resource.deprovision`; return Done or Pending."""
        return self._deliver("resource.deprovision", resource)

    def rotate_credentials(self, *, resource, rotation) -> Done | Pending:
        """Send `credentials.rotate`; return the new config, or Pending."""
        return self._deliver("credentials.rotate", resource, rotation=rotation)

    def retire_credentials(self, *, resource, rotation) -> None:
        """Send `credentials.retire`; "pending" means the service retires them on its own time."""
        self._deliver("credentials.retire", resource, rotation=rotation)

    # Plumbing ------------------------------------------------------------------------------
    def _deliver(self, event_type: str, resource, *, plan: str = "", rotation=None):
        body, headers = self.event(event_type, resource, plan=plan, rotation=rotation)
        what = f"{event_type} to the add-on's service"
        try:
            response = self.session.post(
                self.service.url, data=body, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ProvisionerError(f"{what}: could not reach it ({type(exc).__name__})") from None
        return _read_answer(response, what)

    def event(self, event_type: str, resource, *, plan: str = "", rotation=None):
        """Return the (body, headers) of one new signed event about RESOURCE."""
        event_id, now = str(uuid.uuid4()), timezone.now()
        payload = {
            "id": event_id,
            "type": event_type,
            "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "addon": resource.addon.slug,
            "resource": {
                "uuid": str(resource.uuid),
                "name": resource.name,
                "plan": plan or resource.plan.slug,
                "region": resource.region,
                "options": resource.options,
            },
        }
        if rotation is not None:
            payload["rotation"] = {"id": str(rotation.public_id)}
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = signed_headers(
            self.service.signing_secret, body, timestamp=int(now.timestamp()), event_id=event_id
        )
        return body, {**headers, "Content-Type": "application/json"}


def _read_answer(response: requests.Response, what: str) -> Done | Pending:
    """Return the service's answer as Done or Pending, or raise what it amounts to."""
    try:
        data = response.json()
    except ValueError:
        data = None
    message = data.get("message") if isinstance(data, dict) else None
    message = message[:MAX_MESSAGE] if isinstance(message, str) else ""
    if response.status_code == 422:
        raise ProvisionerRefusal(message or "The add-on's service refused the request.")
    if not 200 <= response.status_code < 300:
        raise ProvisionerError(f"{what}: HTTP {response.status_code}")
    if not isinstance(data, dict) or data.get("status") not in ("done", "pending"):
        raise ProvisionerError(f'{what}: the answer is not {{"status": "done" or "pending"}}')
    if data["status"] == "pending":
        return Pending(message=message)
    config = data.get("config", {})
    if not isinstance(config, dict) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in config.items()
    ):
        raise ProvisionerError(f'{what}: "config" must be an object of strings')
    return Done(config=config, message=message)
