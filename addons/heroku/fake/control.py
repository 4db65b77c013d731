"""The fake's control API under /_fake/, for a fake running in another process."""

from __future__ import annotations

import json

from addons.heroku.fake.hooks import served


class ControlRoutes:
    """Routes of the fake's request handler (mixed into `server._Handler`)."""

    def _control(self, method: str, path: str, body: bytes):
        handler = getattr(self, "_control_" + path.removeprefix("/_fake/").replace("-", "_"), None)
        if handler is None:
            return self._error(404, "not_found", f"No control route {path}")
        return self._send(200, handler(method, json.loads(body or b"{}")))

    def _control_stats(self, method, data):
        return {"requests": self.fake.count, "remaining": self.fake.remaining}

    def _control_counts(self, method, data):
        """Requests per path since the last reset."""
        with self.fake.lock:
            return dict(self.fake.path_counts)

    def _control_reset_counters(self, method, data):
        self.fake.reset_counters()
        return {}

    def _control_latency(self, method, data):
        self.fake.latency = float(data["latency"])
        return {}

    def _control_faults(self, method, data):
        if method == "DELETE":
            self.fake.clear_faults()
        else:
            self.fake.inject(**data)
        return {}

    def _control_resources(self, method, data):
        """Add one resource; answer its uuid and token."""
        resource_uuid, token = self.fake.world.add_resource(**data)
        return {"uuid": resource_uuid, "token": token}

    def _control_grants(self, method, data):
        return {"code": self.fake.world.create_grant(data["resource"], data["client_secret"])}

    def _control_collaborators(self, method, data):
        """Add (POST) or remove (DELETE) one collaborator."""
        if method == "DELETE":
            self.fake.world.remove_collaborator(data["resource"], data["email"])
        else:
            self.fake.world.add_collaborator(data["resource"], data["email"])
        return {}

    def _control_expected(self, method, data):
        return sorted(self.fake.world.expected_emails(data["resource"]))

    def _control_world(self, method, data):
        """The generated world's resources and their tokens."""
        tokens = {v["resource"]: k for k, v in self.fake.world.tokens.items()}
        return [{"uuid": u, "token": tokens.get(u)} for u in self.fake.world.addons]

    def _control_writes(self, method, data):
        """Every write to an add-on (config, actions) in order; only RESOURCE's when given."""
        resource = data.get("resource")
        with self.fake.lock:
            return [w for w in self.fake.writes if resource in (None, w["resource"])]

    def _control_addon(self, method, data):
        """One add-on as the fake holds it: its JSON (state and all) and its config."""
        world = self.fake.world
        resource = data["resource"]
        return {"addon": world.addons.get(resource), "config": world.config.get(resource, {})}

    def _control_log_lines(self, method, data):
        """Every line written to a log input URL, in order: {path, line}."""
        with self.fake.lock:
            return list(self.fake.log_lines)

    def _control_apps(self, method, data):
        """Change RESOURCE's app: {"action": "rename", "name"}, "destroy" or "destroy-addon"."""
        world = self.fake.world
        action = data["action"]
        if action == "rename":
            world.rename_app(data["resource"], data["name"])
        elif action == "destroy":
            world.destroy_app(data["resource"])
        elif action == "destroy-addon":
            world.remove_addon(data["resource"])
        else:
            raise ValueError(f"unknown app action {action!r}")
        return {}

    def _control_webhooks(self, method, data):
        """Every webhook subscription, as the fake holds it (without secrets)."""
        return [
            {**served(w), "has_authorization": bool(w.get("authorization"))}
            for w in self.fake.world.webhooks.values()
        ]

    def _control_webhook_deliveries(self, method, data):
        """Every delivery so far, in order, with each attempt's answer."""
        with self.fake.dispatcher.lock:
            return [d.as_json() for d in self.fake.dispatcher.deliveries]

    def _control_webhook_hooks(self, method, data):
        """Test hooks: {"action": "hold" | "release" | "reorder" | "replay" | "forge" |
        "retry-delays", …}; replay and forge answer what the receiver answered."""
        dispatcher = self.fake.dispatcher
        action = data["action"]
        if action == "hold":
            dispatcher.hold()
        elif action == "release":
            dispatcher.release()
        elif action == "reorder":
            dispatcher.reorder()
        elif action == "replay":
            return {"answer": dispatcher.replay(data["delivery"])}
        elif action == "forge":
            return {"answer": dispatcher.forge(data["resource"], email=data["email"])}
        elif action == "retry-delays":
            dispatcher.retry_delays = tuple(float(d) for d in data["delays"])
        else:
            raise ValueError(f"unknown webhook hook {action!r}")
        return {}

    def _control_heroku_accounts(self, method, data):
        """Add a Heroku account that may log in to a web app: {email, verified?, name?}."""
        return self.fake.world.add_heroku_account(
            data["email"], verified=data.get("verified", True), name=data.get("name")
        )

    def _control_oauth_clients(self, method, data):
        """Register a web app's OAuth client: {client_id, secret, redirect_uri?}."""
        self.fake.world.add_oauth_client(
            data["client_id"], data["secret"], data.get("redirect_uri", "")
        )
        return {}

    def _control_signed_in(self, method, data):
        """Sign a Heroku account in (POST {email}), so its authorize page redirects at once;
        DELETE signs it out, so the page asks who logs in."""
        self.fake.world.signed_in = None if method == "DELETE" else data["email"].lower()
        return {}
