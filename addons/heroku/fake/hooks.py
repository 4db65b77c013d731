"""The fake's add-on webhook subscription routes (schema `add-on-webhook`, `-delivery`)."""

from __future__ import annotations

import json
import time

# Event types an add-on partner may include without Heroku's permission (API-NOTES).
PARTNER_EVENTS = frozenset(
    {
        "api:addon-attachment",
        "api:addon",
        "api:app",
        "api:collaborator",
        "api:domain",
        "api:sni-endpoint",
        "api:ssl-endpoint",
    }
)


CREATE_FIELDS = frozenset({"authorization", "include", "level", "secret", "url"})


def served(webhook: dict) -> dict:
    """Return WEBHOOK as the API serves it: never its secret or authorization."""
    keys = ("addon", "created_at", "id", "include", "level", "updated_at", "url")
    return {key: webhook[key] for key in keys}


def _invalid(body: dict, *, partial: bool) -> str:
    """Return why BODY is no valid create (or, PARTIAL, update) of a webhook; "" when it is."""
    if not isinstance(body, dict):
        return "Expected a JSON object."
    if not partial and (unknown := set(body) - CREATE_FIELDS):
        return f"Unknown fields: {', '.join(sorted(unknown))}."
    if not partial and (missing := {"include", "level", "url"} - set(body)):
        return f"Missing fields: {', '.join(sorted(missing))}."
    include = body.get("include", ["api:app"])
    if not isinstance(include, list) or not include or not set(include) <= PARTNER_EVENTS:
        return "include must list event types an add-on partner may receive."
    if body.get("level", "sync") not in ("notify", "sync"):
        return "level must be notify or sync."
    url = body.get("url", "https://x")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return "url must be an http(s) URL."
    for name in ("authorization", "secret"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return f"{name} must be a string."
    return ""


class WebhookRoutes:
    """Routes of the fake's request handler (mixed into `server._Handler`)."""

    def _webhooks(self, match, method, resource, addon, app, body):
        """GET lists RESOURCE's webhooks; POST subscribes one."""
        if match[1] != resource:
            return self._forbidden("add-on")
        world = self.fake.world
        if method == "GET":
            return self._send(200, [served(w) for w in world.webhooks_of(resource)])
        if method != "POST":
            return self._error(405, "method_not_allowed", "Use GET or POST.")
        data = _json(body)
        if problem := _invalid(data, partial=False):
            return self._error(422, "invalid_params", problem)
        webhook = world.add_webhook(resource, data)
        headers = {} if data.get("secret") else {"Heroku-Webhook-Secret": webhook["secret"]}
        return self._send(201, served(webhook), headers)

    def _webhook(self, match, method, resource, addon, app, body):
        """GET, PATCH or DELETE one of RESOURCE's webhooks."""
        if match[1] != resource:
            return self._forbidden("add-on")
        world = self.fake.world
        webhook = world.webhooks.get(match[2])
        if webhook is None or webhook["addon"]["id"] != resource:
            return self._error(404, "not_found", "Couldn't find that webhook.")
        if method == "GET":
            return self._send(200, served(webhook))
        if method == "DELETE":
            del world.webhooks[webhook["id"]]
            return self._send(200, served(webhook))
        if method != "PATCH":
            return self._error(405, "method_not_allowed", "Use GET, PATCH or DELETE.")
        data = _json(body)
        if problem := _invalid(data, partial=True):
            return self._error(422, "invalid_params", problem)
        webhook.update({k: v for k, v in data.items() if k in CREATE_FIELDS})
        webhook["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return self._send(200, served(webhook))

    def _webhook_deliveries(self, match, method, resource, addon, app, body):
        """GET lists the deliveries to RESOURCE's webhooks (schema `app-webhook-delivery`)."""
        if match[1] != resource:
            return self._forbidden("add-on")
        deliveries = self.fake.dispatcher.deliveries
        return self._send(
            200, [d.as_json() for d in deliveries if d.webhook["addon"]["id"] == resource]
        )


def _json(body: bytes):
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None
