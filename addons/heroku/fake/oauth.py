"""The fake's id.heroku.com routes: the OAuth token endpoint."""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs

from addons.heroku.fake.world import TOKEN_TTL, new_id


class OAuthRoutes:
    """Routes of the fake's request handler (mixed into `server._Handler`)."""

    def _oauth(self, body: bytes):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        world = self.fake.world
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = world.grants.pop(form.get("code", ""), None)
            if grant is None or grant["client_secret"] != form.get("client_secret"):
                return self._error(401, "unauthorized", "Invalid authorization code.")
            resource = grant["resource"]
        elif grant_type == "refresh_token":
            refresh = world.refresh_tokens.get(form.get("refresh_token", ""))
            if refresh is None or refresh["client_secret"] != form.get("client_secret"):
                return self._error(401, "unauthorized", "Invalid refresh token.")
            resource = refresh["resource"]
        else:
            return self._error(400, "invalid_params", "Unsupported grant_type.")
        access, refresh_token = secrets.token_hex(16), secrets.token_hex(16)
        world.tokens[access] = {"resource": resource, "expires": time.time() + TOKEN_TTL}
        world.refresh_tokens[refresh_token] = {
            "resource": resource,
            "client_secret": form.get("client_secret"),
        }
        self._send(
            200,
            {
                "access_token": access,
                "refresh_token": refresh_token,
                "expires_in": TOKEN_TTL,
                "token_type": "Bearer",
                "user_id": new_id(),
                "session_nonce": None,
            },
        )
