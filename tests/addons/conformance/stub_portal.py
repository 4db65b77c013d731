"""A portal played by `responses` callbacks, for the conformance check's tests: it answers as
the Partner API and SSO should, or breaks one answer on demand.

It does what a portal does on Heroku's side for real, over HTTP to the fake Heroku (`responses`
lets those calls through): it exchanges the OAuth grant, and an async one PATCHes config and
POSTs actions/provision (or /deprovision) with the resource's token.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import requests
import responses

from addons.conformance.portal import sso_tokens

URL = "https://portal.example.com"
ADDON = "acme-search"
PASSWORD = "p" * 32
SSO_SALT = "s" * 32
CLIENT_SECRET = "o" * 32
ACCEPT = "application/vnd.heroku+json; version=3"


@dataclass
class StubPortal:
    fake_url: str
    provision_status: int = 200
    provision_body: object = field(
        default_factory=lambda: {"id": "r1", "config": {"ACME_URL": "x"}}
    )
    pending: bool = False  # answer 202 and complete at once, PATCH config first
    actions_first: bool = False  # a pending one that POSTs actions/provision before the config
    complete: bool = True  # a pending one that completes
    exchange: bool = True
    plan_change_status: int = 200
    accept_any_password: bool = False
    sso_accept_any_token: bool = False
    sso_refuse: bool = False
    deprovision_status: int = 204
    tokens: dict = field(default_factory=dict)  # resource uuid -> access token

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_passthru(self.fake_url)
        mock.add_callback(responses.POST, f"{URL}/heroku/resources", callback=self._provision)
        resource = rf"{URL}/heroku/resources/[0-9a-f-]+"
        mock.add_callback(responses.PUT, _regex(resource), callback=self._plan_change)
        mock.add_callback(responses.DELETE, _regex(resource), callback=self._deprovision)
        mock.add_callback(responses.POST, f"{URL}/sso/login", callback=self._sso)
        mock.add(responses.GET, f"{URL}/dashboard/r1/", body="dashboard", status=200)

    # The Partner API ------------------------------------------------------------------------
    def _authorized(self, request) -> bool:
        expected = base64.b64encode(f"{ADDON}:{PASSWORD}".encode()).decode()
        given = request.headers.get("Authorization", "")
        return given == f"Basic {expected}" or (self.accept_any_password and bool(given))

    def _provision(self, request):
        if not self._authorized(request):
            return 401, {}, json.dumps({"message": "Authentication failed."})
        body = json.loads(request.body)
        if self.exchange:
            self._exchange(body["uuid"], body["oauth_grant"]["code"])
        if self.pending:
            if self.complete:
                self._complete(body["uuid"])
            return 202, {}, json.dumps({"id": "r1", "message": "provisioning"})
        payload = self.provision_body
        text = payload if isinstance(payload, str) else json.dumps(payload)
        return self.provision_status, {}, text

    def _plan_change(self, request):
        if not self._authorized(request):
            return 401, {}, json.dumps({"message": "Authentication failed."})
        return self.plan_change_status, {}, json.dumps({"message": "changed"})

    def _deprovision(self, request):
        if not self._authorized(request):
            return 401, {}, json.dumps({"message": "Authentication failed."})
        resource = request.url.rsplit("/", 1)[-1]
        if self.deprovision_status == 202:
            self._platform("POST", f"/addons/{resource}/actions/deprovision", resource)
        return self.deprovision_status, {}, ""

    def _sso(self, request):
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        expected = sso_tokens(
            resource_id=form["resource_id"],
            salt=SSO_SALT,
            timestamp=form["timestamp"],
            user_id=form["user_id"],
            email=form["email"],
        )["user_scoped_resource_token"]
        valid = form["user_scoped_resource_token"] == expected or self.sso_accept_any_token
        if self.sso_refuse or not valid:
            return 403, {}, "refused"
        return 302, {"Location": "/dashboard/r1/", "Set-Cookie": "sessionid=x; Path=/"}, ""

    # Heroku's side, for real ---------------------------------------------------------------
    def _exchange(self, resource: str, code: str) -> None:
        answer = requests.post(
            f"{self.fake_url}/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "client_secret": CLIENT_SECRET},
            timeout=5,
        )
        if answer.status_code == 200:
            self.tokens[resource] = answer.json()["access_token"]

    def _complete(self, resource: str) -> None:
        config = {"config": [{"name": "ACME_URL", "value": "x"}]}
        steps = [("PATCH", f"/addons/{resource}/config", config)]
        steps.append(("POST", f"/addons/{resource}/actions/provision", None))
        for method, path, body in reversed(steps) if self.actions_first else steps:
            self._platform(method, path, resource, body)

    def _platform(self, method: str, path: str, resource: str, body=None) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[resource]}", "Accept": ACCEPT}
        answer = requests.request(
            method, f"{self.fake_url}{path}", json=body, headers=headers, timeout=5
        )
        assert answer.status_code == 200, answer.text


def _regex(pattern: str):
    import re

    return re.compile(pattern)
