"""The fake's id.heroku.com routes, and the Platform API's account route.

- `POST /oauth/token` exchanges an add-on resource's authorization code (with the add-on's client
  secret) or a refresh token for tokens; and a login code (with the web app's client secret) for
  a token that reads the account it logged in.
- `GET /oauth/authorize` is the page where a person logs in and allows a web app: while the world
  has an account `signed_in`, it redirects back at once; otherwise it shows a login page whose
  form (`POST /oauth/authorize`, an e-mail field) says which Heroku account logs in.
- `GET /account` answers the account of a login token (schema definition `account`).
"""

from __future__ import annotations

import html
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from addons.heroku.fake.world import TOKEN_TTL, new_id

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Log in to Heroku (fake)</title></head>
<body><main><h1>Log in to Heroku</h1>
<p>The loopback fake of id.heroku.com. {client} asks to read your account's identity.</p>
{error}<form method="post" action="/oauth/authorize">
<label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="off">
{hidden}<button type="submit" name="decision" value="allow">Log in and allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></main></body></html>
"""
AUTHORIZE_PARAMS = ("client_id", "response_type", "scope", "state", "redirect_uri")


class OAuthRoutes:
    """Routes of the fake's request handler (mixed into `server._Handler`)."""

    ID_ROUTES = frozenset({"/oauth/authorize", "/account"})

    def _id_route(self, method: str, path: str, body: bytes):
        if path == "/account" and method == "GET":
            return self._account()
        if path == "/oauth/authorize" and method in ("GET", "POST"):
            query = self.path.partition("?")[2]
            params = _form(body if method == "POST" else query.encode())
            return self._authorize_page(method, params)
        return self._error(405, "method_not_allowed", f"{method} {path} is not allowed.")

    def _oauth(self, body: bytes):
        form = _form(body)
        world = self.fake.world
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code" and form.get("code", "") in world.login_codes:
            return self._login_token(form)
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
        self._send(200, _token_answer(access, refresh_token, new_id()))

    # Logging a person in ---------------------------------------------------------------------
    def _authorize_page(self, method: str, params: dict):
        world = self.fake.world
        client = world.oauth_clients.get(params.get("client_id", ""))
        if client is None:
            return self._html(400, "<h1>Unknown OAuth client</h1>")
        if params.get("response_type") != "code":
            return self._html(400, "<h1>response_type must be code</h1>")
        callback = client["redirect_uri"] or params.get("redirect_uri", "")
        if params.get("redirect_uri") and client["redirect_uri"]:
            if params["redirect_uri"] != client["redirect_uri"]:
                return self._html(400, "<h1>redirect_uri does not match the client's</h1>")
        if method == "GET" and world.signed_in is None:
            return self._login_page(params)
        if method == "POST" and params.get("decision") == "deny":
            return self._back(callback, {"error": "access_denied", "state": params.get("state")})
        email = (world.signed_in if method == "GET" else params.get("email", "")).strip().lower()
        if email not in world.heroku_accounts:
            return self._login_page(params, error="No Heroku account has that e-mail address.")
        code = world.create_login_code(params["client_id"], email)
        return self._back(callback, {"code": code, "state": params.get("state")})

    def _login_page(self, params: dict, error: str = ""):
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">\n'
            for name in AUTHORIZE_PARAMS
            if name in params
        )
        page = LOGIN_PAGE.format(
            client=html.escape(params.get("client_id", "")),
            error=f'<p role="alert">{html.escape(error)}</p>\n' if error else "",
            hidden=hidden,
        )
        return self._html(401 if error else 200, page)

    def _back(self, callback: str, params: dict):
        if urlsplit(callback).scheme not in ("http", "https"):
            return self._html(400, "<h1>The client has no callback URL</h1>")
        query = urlencode({k: v for k, v in params.items() if v is not None})
        separator = "&" if "?" in callback else "?"
        self._send(302, None, {"Location": f"{callback}{separator}{query}"})

    def _login_token(self, form: dict):
        world = self.fake.world
        login = world.login_codes.pop(form["code"])
        client = world.oauth_clients.get(login["client_id"])
        if client is None or client["secret"] != form.get("client_secret"):
            return self._error(401, "unauthorized", "Invalid client secret.")
        access = secrets.token_hex(16)
        world.account_tokens[access] = {
            "email": login["email"],
            "expires": time.time() + TOKEN_TTL,
        }
        account = world.heroku_accounts[login["email"]]
        self._send(200, _token_answer(access, secrets.token_hex(16), account["id"]))

    def _account(self):
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        login = self.fake.world.account_tokens.get(token)
        if login is None or login["expires"] < time.time():
            return self._error(401, "unauthorized", "Invalid credentials provided.")
        if self.headers.get("Accept") != "application/vnd.heroku+json; version=3":
            return self._error(400, "bad_request", "Accept: application/vnd.heroku+json; version=3")
        return self._send(200, self.fake.world.heroku_accounts[login["email"]])

    def _html(self, status: int, page: str):
        body = page.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", new_id())
        self.end_headers()
        self.wfile.write(body)


def _form(body: bytes) -> dict:
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


def _token_answer(access: str, refresh: str, user_id: str) -> dict:
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": TOKEN_TTL,
        "token_type": "Bearer",
        "user_id": user_id,
        "session_nonce": None,
    }
