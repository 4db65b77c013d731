"""Helpers that play Heroku against the portal's Add-on Partner API."""

import base64
import json


def basic_auth(slug: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{slug}:{password}".encode()).decode()


class Heroku:
    """Plays Heroku against the Partner API of the portal."""

    def __init__(self, client, addon):
        self.client = client
        self.authorization = basic_auth(addon.slug, addon.api_password)

    def call(self, method: str, path: str, body=None, *, authorization=None, raw=None):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        headers = {}
        if authorization is not False:
            headers["Authorization"] = authorization or self.authorization
        return self.client.generic(
            method, path, data=data, content_type="application/json", headers=headers
        )

    def provision(self, body, **kwargs):
        return self.call("POST", "/heroku/resources", body, **kwargs)

    def change_plan(self, resource_uuid, plan, **kwargs):
        return self.call("PUT", f"/heroku/resources/{resource_uuid}", {"plan": plan}, **kwargs)

    def deprovision(self, resource_uuid, **kwargs):
        return self.call("DELETE", f"/heroku/resources/{resource_uuid}", **kwargs)


def provision_body(resource_uuid, *, plan="acme-search:basic", code=None, **extra) -> dict:
    body = {
        "uuid": str(resource_uuid),
        "name": "acme-search-cubed-12345",
        "plan": plan,
        "region": "amazon-web-services::us-east-1",
        "callback_url": f"https://api.heroku.com/addons/{resource_uuid}",
        "options": {},
        "oauth_grant": None
        if code is None
        else {"code": code, "expires_at": "2099-01-01T00:00:00Z", "type": "authorization_code"},
        # Logplex's input, played by a loopback port nothing listens on: the portal writes a line
        # there after provisioning, and no test may reach the network (a test that wants the
        # line points this at the fake Heroku's /log-input/).
        "log_input_url": "https://token:secret@127.0.0.1:9/logs",
        "log_drain_token": "d.01234567-89ab-cdef-0123-456789abcdef",
        "an_unknown_field": {"is": "valid"},
    }
    return {**body, **extra}
