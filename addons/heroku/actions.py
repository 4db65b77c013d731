"""The Platform API writes of the add-on lifecycle: a resource's config and its lifecycle actions.

`PATCH /addons/{id}/config` sets config vars (Heroku releases and restarts the app when they
change); `POST /addons/{id}/actions/provision` and `/actions/deprovision` finish an asynchronous
provisioning or de-provisioning. Each is sent with the resource's own token and retried as its
policy says (`CONFIG_WRITE_RETRY`, `ACTION_RETRY` in `addons.heroku.retries`, which say why).
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from addons.heroku.client import PlatformClient, ResourceCredentials
from addons.heroku.errors import (
    AddonGone,
    MalformedResponse,
    NotFound,
    RetryLater,
    transport_failure,
    typed_error,
)
from addons.heroku.retries import ACTION_RETRY, CONFIG_WRITE_RETRY, READ_RETRY, PacedRetry
from addons.heroku.session import request_with_retry

PROVISIONED = "provisioned"


DEPROVISIONED = "deprovisioned"


class LifecycleClient(PlatformClient):
    """Set a resource's config and finish its (de-)provisioning on the Platform API.

    Shares the reading client's session, pacing, timeouts and token refresh: a 401 refreshes the
    token once (the caller stores `credentials.refreshed`) and asks again.
    """

    def update_config(
        self, resource_uuid, config: Mapping[str, str], *, credentials: ResourceCredentials
    ) -> dict[str, str | None]:
        """Set CONFIG on add-on RESOURCE_UUID; return the config Heroku answers with."""
        path = f"/addons/{resource_uuid}/config"
        body = {"config": [{"name": name, "value": config[name]} for name in sorted(config)]}
        payload = self._write("PATCH", path, body, CONFIG_WRITE_RETRY, credentials)
        try:
            return {str(item["name"]): item.get("value") for item in payload}
        except (KeyError, TypeError, AttributeError):
            raise MalformedResponse(f"PATCH {path}: expected a list of name and value") from None

    def mark_provisioned(self, resource_uuid, *, credentials: ResourceCredentials) -> str:
        """Tell Heroku add-on RESOURCE_UUID is provisioned (its app restarts); return its state."""
        path = f"/addons/{resource_uuid}/actions/provision"
        return _state(self._write("POST", path, None, ACTION_RETRY, credentials), path)

    def mark_deprovisioned(self, resource_uuid, *, credentials: ResourceCredentials) -> str:
        """Tell Heroku add-on RESOURCE_UUID is de-provisioned; return its state."""
        path = f"/addons/{resource_uuid}/actions/deprovision"
        try:
            return _state(self._write("POST", path, None, ACTION_RETRY, credentials), path)
        except NotFound:
            return DEPROVISIONED  # Heroku has forgotten it already: there is nothing left to end

    def addon_state(self, resource_uuid, *, credentials: ResourceCredentials) -> str:
        """Return the state of add-on RESOURCE_UUID; raise AddonGone when Heroku has no such one."""
        path = f"/addons/{resource_uuid}"
        try:
            payload = self._write("GET", path, None, READ_RETRY, credentials)
        except NotFound as exc:
            raise AddonGone(str(exc), status=exc.status, error_id=exc.error_id) from None
        return _state(payload, path)

    # Plumbing ------------------------------------------------------------------------------
    def _write(self, method, path, body, policy: PacedRetry, credentials) -> object:
        """Send METHOD PATH with BODY; on a 401 refresh the token once and send it again."""
        what = f"{method} {path}"
        token = credentials.access_token
        response = self._send_write(what, method, path, body, token, policy)
        if response.status_code == 401:
            self.refresh(credentials, failed_token=token)
            response = self._send_write(what, method, path, body, credentials.access_token, policy)
        if not 200 <= response.status_code < 300:
            raise typed_error(response, what)
        try:
            return response.json()
        except ValueError:
            status = response.status_code
            raise MalformedResponse(f"{what}: HTTP {status} body is not JSON") from None

    def _send_write(self, what, method, path, body, token, policy) -> requests.Response:
        self.pacer.wait()
        retry = policy.paced(self.pacer)
        try:
            response = request_with_retry(
                self.session,
                method,
                self.base_url + path,
                retry=retry,
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise RetryLater(f"{what}: {transport_failure(exc)}") from None
        retry.observe(response.raw)
        return response


def _state(payload, path: str) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("state"), str):
        raise MalformedResponse(f"{path}: answer lacks the add-on's state")
    return payload["state"]
