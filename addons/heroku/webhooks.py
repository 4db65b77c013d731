"""The Platform API calls of add-on webhook subscriptions (schema `add-on-webhook`).

`POST /addons/{id}/webhooks` subscribes, `GET` lists, `PATCH …/webhooks/{webhook}` updates and
`DELETE` removes; each with the resource's own token. Only a connection that was never made is
retried for the create (READ_RETRY never repeats a POST that may have reached Heroku): the
caller makes a repeated subscription harmless by adopting a webhook that already has its URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from addons.heroku.actions import LifecycleClient
from addons.heroku.client import ResourceCredentials
from addons.heroku.errors import MalformedResponse, NotFound
from addons.heroku.retries import READ_RETRY

# Removing a subscription twice leaves it removed: a lost answer may be repeated.
DELETE_RETRY = READ_RETRY.new(allowed_methods=frozenset({"DELETE"}))


@dataclass(frozen=True)
class WebhookInfo:
    """A webhook subscription as Heroku serves it (its secrets are never served back)."""

    id: str
    url: str
    level: str
    include: tuple[str, ...]


class WebhookClient(LifecycleClient):
    """Subscribe, list, update and remove an add-on resource's webhooks."""

    def list_webhooks(
        self, resource_uuid, *, credentials: ResourceCredentials
    ) -> list[WebhookInfo]:
        """Return the webhook subscriptions of add-on RESOURCE_UUID."""
        path = f"/addons/{resource_uuid}/webhooks"
        payload = self._write("GET", path, None, READ_RETRY, credentials)
        if not isinstance(payload, list):
            raise MalformedResponse(f"GET {path}: expected a list")
        return [_info(item, path) for item in payload]

    def create_webhook(
        self,
        resource_uuid,
        *,
        url: str,
        include: list[str],
        authorization: str,
        secret: str,
        credentials: ResourceCredentials,
    ) -> WebhookInfo:
        """Subscribe URL to INCLUDE's events of add-on RESOURCE_UUID at level `sync`."""
        path = f"/addons/{resource_uuid}/webhooks"
        body = _body(url, include, authorization, secret)
        return _info(self._write("POST", path, body, READ_RETRY, credentials), path)

    def update_webhook(
        self,
        resource_uuid,
        webhook_id: str,
        *,
        url: str,
        include: list[str],
        authorization: str,
        secret: str,
        credentials: ResourceCredentials,
    ) -> WebhookInfo:
        """Set every field of webhook WEBHOOK_ID of add-on RESOURCE_UUID (an idempotent PATCH)."""
        path = f"/addons/{resource_uuid}/webhooks/{webhook_id}"
        body = _body(url, include, authorization, secret)
        policy = READ_RETRY.new(allowed_methods=frozenset({"PATCH"}))
        return _info(self._write("PATCH", path, body, policy, credentials), path)

    def delete_webhook(
        self, resource_uuid, webhook_id: str, *, credentials: ResourceCredentials
    ) -> None:
        """Remove webhook WEBHOOK_ID of add-on RESOURCE_UUID; one already gone counts as removed."""
        path = f"/addons/{resource_uuid}/webhooks/{webhook_id}"
        try:
            self._write("DELETE", path, None, DELETE_RETRY, credentials)
        except NotFound:
            return


def _body(url: str, include: list[str], authorization: str, secret: str) -> dict:
    return {
        "url": url,
        "include": list(include),
        "level": "sync",
        "authorization": authorization,
        "secret": secret,
    }


def _info(payload, path: str) -> WebhookInfo:
    try:
        return WebhookInfo(
            id=str(payload["id"]),
            url=str(payload["url"]),
            level=str(payload.get("level") or ""),
            include=tuple(str(item) for item in payload.get("include") or ()),
        )
    except (KeyError, TypeError, AttributeError):
        raise MalformedResponse(f"{path}: a webhook lacks id or url") from None
