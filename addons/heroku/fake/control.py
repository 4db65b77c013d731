"""The fake's control API under /_fake/, for a fake running in another process."""

from __future__ import annotations

import json


class ControlRoutes:
    """Routes of the fake's request handler (mixed into `server._Handler`)."""

    def _control(self, method: str, path: str, body: bytes):
        fake = self.fake
        data = json.loads(body or b"{}")
        if path == "/_fake/stats":
            return self._send(200, {"requests": fake.count, "remaining": fake.remaining})
        if path == "/_fake/counts":  # requests per path since the last reset
            with fake.lock:
                return self._send(200, dict(fake.path_counts))
        if path == "/_fake/reset-counters":
            fake.reset_counters()
            return self._send(200, {})
        if path == "/_fake/latency":
            fake.latency = float(data["latency"])
            return self._send(200, {})
        if path == "/_fake/faults":
            if method == "DELETE":
                fake.clear_faults()
            else:
                fake.inject(**data)
            return self._send(200, {})
        if path == "/_fake/resources":  # add one resource; answers its uuid and token
            resource_uuid, token = fake.world.add_resource(**data)
            return self._send(200, {"uuid": resource_uuid, "token": token})
        if path == "/_fake/grants":
            code = fake.world.create_grant(data["resource"], data["client_secret"])
            return self._send(200, {"code": code})
        if path == "/_fake/collaborators":  # add (POST) or remove (DELETE) one collaborator
            if method == "DELETE":
                fake.world.remove_collaborator(data["resource"], data["email"])
            else:
                fake.world.add_collaborator(data["resource"], data["email"])
            return self._send(200, {})
        if path == "/_fake/expected":
            return self._send(200, sorted(fake.world.expected_emails(data["resource"])))
        if path == "/_fake/world":  # the generated world's resources and their tokens
            tokens = {v["resource"]: k for k, v in fake.world.tokens.items()}
            return self._send(200, [{"uuid": u, "token": tokens.get(u)} for u in fake.world.addons])
        return self._error(404, "not_found", f"No control route {path}")
