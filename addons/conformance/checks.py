"""The conformance scenario: Heroku's calls to a portal, in Heroku's order, each judged.

The fake Heroku (started by `run_conformance`) holds the add-on's app, issues the OAuth grant and
records what the portal tells Heroku (config, actions); the portal is reached over HTTP only.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from addons.conformance.portal import Answer, PortalClient, PortalError, sso_tokens
from addons.conformance.report import Outcome, Row
from addons.heroku.fake import FakeHeroku

PROVISION = "provision (with an OAuth grant)"
GRANT = "OAuth grant exchanged"
ASYNC = "async provisioning completed"
PLAN_CHANGE = "plan change"
SSO = "SSO (user-scoped token)"
SSO_REFUSED = "SSO with a bad token refused"
BAD_CREDENTIALS = "bad credentials refused (401)"
DEPROVISION = "de-provision"
CHECKS = (PROVISION, GRANT, ASYNC, PLAN_CHANGE, SSO, SSO_REFUSED, BAD_CREDENTIALS, DEPROVISION)

POLL_SECONDS = 0.1
SSO_RETRY_SECONDS = 5


@dataclass(frozen=True)
class Target:
    """The portal under test and what Heroku knows of the add-on (its manifest, its secret)."""

    url: str
    addon: str
    password: str
    sso_salt: str
    client_secret: str
    plan: str = "basic"
    new_plan: str = "pro"
    email: str = "owner@example.com"
    request_timeout: float = 25.0  # Heroku gives up on a Partner API call after 25 s
    grant_timeout: float = 30.0
    async_timeout: float = 120.0


@dataclass
class Waiter:
    """Poll a condition until it holds or a timeout passes; the clock is injected for tests."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def until(self, condition: Callable[[], object], *, timeout: float):
        """Return CONDITION's first true value, or None once TIMEOUT seconds have passed."""
        deadline = self.clock() + timeout
        while True:
            value = condition()
            if value or self.clock() >= deadline:
                return value or None
            self.sleep(POLL_SECONDS)


@contextmanager
def running_fake(*, port: int = 0) -> Iterator[FakeHeroku]:
    """Serve the fake Heroku on 127.0.0.1:PORT (0: a free port) until the block ends.

    Raise OSError when the port is taken.
    """
    with FakeHeroku(port=port, record=False) as fake:
        yield fake


@dataclass
class Scenario:
    """Heroku's calls to TARGET, with FAKE playing Heroku's side."""

    target: Target
    fake: FakeHeroku
    waiter: Waiter = field(default_factory=Waiter)
    wall_clock: Callable[[], float] = time.time
    client: PortalClient | None = None

    def __post_init__(self):
        if self.client is None:
            self.client = PortalClient(
                self.target.url,
                addon=self.target.addon,
                password=self.target.password,
                timeout=self.target.request_timeout,
            )
        self.resource = str(uuidlib.uuid4())
        self.resource, self.heroku_token = self.fake.world.add_resource(
            self.resource,
            owner=self.target.email,
            plan=f"{self.target.addon}:{self.target.plan}",
            state="provisioning",
        )
        self.code = self.fake.world.create_grant(self.resource, self.target.client_secret)

    def run(self) -> list[Row]:
        """Run every check in Heroku's order; return one row per check."""
        try:
            provision, pending = self._judged(PROVISION, self.check_provision)
            if provision.outcome != Outcome.PASS:
                return [provision, *(_not_run(name, "provisioning failed") for name in CHECKS[1:])]
            grant, _ = self._judged(GRANT, self.check_grant_exchanged)
            rows = [provision, grant]
            rows.append(self._judged(ASYNC, lambda: self.check_async_completion(pending))[0])
            rows.append(self._judged(PLAN_CHANGE, self.check_plan_change)[0])
            if grant.outcome == Outcome.PASS:
                rows.append(self._judged(SSO, self.check_sso)[0])
            else:
                rows.append(_not_run(SSO, "the portal needs the grant's token to check access"))
            rows.append(self._judged(SSO_REFUSED, self.check_sso_refused)[0])
            rows.append(self._judged(BAD_CREDENTIALS, self.check_bad_credentials)[0])
            rows.append(self._judged(DEPROVISION, self.check_deprovision)[0])
            return rows
        finally:
            self.client.close()

    @staticmethod
    def _judged(name: str, check: Callable[[], tuple[str, object]]) -> tuple[Row, object]:
        """Run CHECK: a (detail, value) is a pass; CheckFailed or PortalError is a failure."""
        try:
            detail, value = check()
        except Skipped as skip:
            return Row(name, Outcome.SKIP, str(skip)), None
        except (CheckFailed, PortalError) as failure:
            return Row(name, Outcome.FAIL, str(failure)), None
        return Row(name, Outcome.PASS, detail), value

    # The checks: each returns (detail, value) or raises CheckFailed -------------------------
    def check_provision(self) -> tuple[str, bool]:
        """POST /heroku/resources with a grant; pass on 200 with config or 202 without."""
        answer = self.client.partner_api("POST", "heroku/resources", self.provision_body())
        body = _object(answer, "POST /heroku/resources")
        if answer.status == 200:
            config = body.get("config")
            if not isinstance(config, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in config.items()
            ):
                raise CheckFailed("200 without a config object of strings: Heroku needs one.")
            return f"200, config {', '.join(sorted(config)) or '(empty)'}", False
        if answer.status == 202:
            if body.get("config"):
                raise CheckFailed("202 with config: an asynchronous answer carries none.")
            return "202: pending; the portal completes it later", True
        raise CheckFailed(_refusal("POST /heroku/resources", answer, expected="200 or 202"))

    def check_grant_exchanged(self) -> tuple[str, None]:
        """Wait until the portal exchanged the grant at the fake id.heroku.com."""
        if self.waiter.until(self._exchanged, timeout=self.target.grant_timeout):
            return "the portal has the resource's tokens", None
        if self.code not in self.fake.world.grants:  # tried, and refused
            raise CheckFailed(
                "the fake id.heroku.com refused the exchange: is the OAuth client secret "
                "(--oauth-client-secret) the portal's?"
            )
        raise CheckFailed(
            f"no exchange within {self.target.grant_timeout:g} s: is the portal's HEROKU_ID_URL "
            f"{self.fake.url}, and does its worker run?"
        )

    def check_async_completion(self, pending: bool) -> tuple[str, None]:
        """After a 202, wait for PATCH config and then actions/provision, in that order."""
        if not pending:
            raise Skipped("provisioned at once (200)")
        expected = [
            f"PATCH /addons/{self.resource}/config",
            f"POST /addons/{self.resource}/actions/provision",
        ]
        if not self.waiter.until(
            lambda: expected[1] in self._writes(), timeout=self.target.async_timeout
        ):
            seen = ", ".join(self._writes()) or "nothing"
            raise CheckFailed(
                f"Heroku was not told within {self.target.async_timeout:g} s (saw: {seen}); "
                "expected PATCH config, then POST actions/provision"
            )
        writes = self._writes()
        if expected[0] not in writes or writes.index(expected[0]) > writes.index(expected[1]):
            raise CheckFailed(f"actions/provision came before the config: {', '.join(writes)}")
        return "PATCH config, then POST actions/provision", None

    def check_plan_change(self) -> tuple[str, None]:
        """PUT /heroku/resources/{uuid} with the new plan; pass on 200."""
        plan = f"{self.target.addon}:{self.target.new_plan}"
        path = f"heroku/resources/{self.resource}"
        answer = self.client.partner_api("PUT", path, {"plan": plan, "uuid": self.resource})
        _object(answer, f"PUT /{path}")
        if answer.status != 200:
            raise CheckFailed(_refusal(f"PUT /{path}", answer, expected="200"))
        return f"200, now on {plan}", None

    def check_sso(self) -> tuple[str, None]:
        """POST the SSO form signed with the salt; pass when it leads to a page that opens.

        A 403 is tried again, with a new token as a second click would bring, for up to
        SSO_RETRY_SECONDS: right after provisioning, the portal's worker may still be reading
        the list for the first time, and a login's re-fetch does not wait for that run.
        """
        answers = []

        def attempt():
            form = self.sso_form(salt=self.target.sso_salt, earlier=len(answers))
            answers.append(self.client.sso_login(form))
            return answers[-1].status != 403

        self.waiter.until(attempt, timeout=SSO_RETRY_SECONDS)
        answer = answers[-1]
        if answer.status not in (301, 302, 303) or not answer.location:
            hint = " (a wrong --sso-salt?)" if answer.status == 403 else ""
            raise CheckFailed(
                f"POST /sso/login answered {answer.status}{hint}; expected a redirect"
            )
        status = self.client.get_page(answer.location)
        if status != 200:
            raise CheckFailed(f"the redirect to {answer.location} answered {status}, not 200")
        return f"redirected to {answer.location}, which opens", None

    def check_sso_refused(self) -> tuple[str, None]:
        """POST an SSO form signed with another salt; pass on 403."""
        answer = self.client.sso_login(self.sso_form(salt=self.target.sso_salt + "-wrong"))
        if answer.status != 403:
            raise CheckFailed(f"POST /sso/login with a bad token answered {answer.status}, not 403")
        return "403", None

    def check_bad_credentials(self) -> tuple[str, None]:
        """Call the Partner API with a wrong password and with none; pass on two 401s."""
        path = f"heroku/resources/{self.resource}"
        body = {"plan": f"{self.target.addon}:{self.target.plan}"}
        wrong = (self.target.addon, self.target.password + "-wrong")
        for what, auth in (("a wrong password", wrong), ("no credentials", False)):
            answer = self.client.partner_api("PUT", path, body, auth=auth)
            if answer.status != 401:
                raise CheckFailed(f"PUT /{path} with {what} answered {answer.status}, not 401")
        return "401 for a wrong password and for none", None

    def check_deprovision(self) -> tuple[str, None]:
        """DELETE /heroku/resources/{uuid}; pass on 204, or 202 then actions/deprovision."""
        path = f"heroku/resources/{self.resource}"
        answer = self.client.partner_api("DELETE", path)
        if answer.status in (200, 204):
            return f"{answer.status}", None
        if answer.status != 202:
            raise CheckFailed(_refusal(f"DELETE /{path}", answer, expected="204 or 202"))
        done = f"POST /addons/{self.resource}/actions/deprovision"
        if not self.waiter.until(lambda: done in self._writes(), timeout=self.target.async_timeout):
            raise CheckFailed(
                f"202, but no POST actions/deprovision within {self.target.async_timeout:g} s"
            )
        return "202, then POST actions/deprovision", None

    # What Heroku sends, and what the fake saw ------------------------------------------------
    def provision_body(self) -> dict:
        fake = self.fake.url
        return {
            "uuid": self.resource,
            "name": f"{self.target.addon}-conformance-{self.resource[:8]}",
            "plan": f"{self.target.addon}:{self.target.plan}",
            "region": "amazon-web-services::us-east-1",
            "callback_url": f"{fake}/addons/{self.resource}",
            "options": {},
            "oauth_grant": {
                "code": self.code,
                "expires_at": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.wall_clock() + 300)
                ),
                "type": "authorization_code",
            },
            "log_input_url": fake.replace("//", "//token:secret@") + f"/log-input/{self.resource}",
            "log_drain_token": f"d.{uuidlib.uuid4()}",
        }

    def sso_form(self, *, salt: str, earlier: int = 0) -> dict:
        """The form Heroku posts; EARLIER seconds back, so that each attempt has its own token."""
        email = self.target.email
        user_id = self.fake.world.user_id(email)
        timestamp = str(int(self.wall_clock()) - earlier)
        app = self.fake.world.app_of(self.resource)["name"]
        tokens = sso_tokens(
            resource_id=self.resource, salt=salt, timestamp=timestamp, user_id=user_id, email=email
        )
        return {
            "resource_id": self.resource,
            "timestamp": timestamp,
            **tokens,
            "email": email,
            "user_id": user_id,
            "app": app,
            "context_app": app,
            "nav-data": "",
        }

    def _exchanged(self) -> bool:
        tokens = list(self.fake.world.tokens.items())
        return any(t != self.heroku_token and g["resource"] == self.resource for t, g in tokens)

    def _writes(self) -> list[str]:
        return self.fake.writes_of(self.resource)


class CheckFailed(Exception):
    """The portal's answer is not what Heroku needs; the message says what it was."""


class Skipped(Exception):
    """The check does not apply to this portal's answers; the message says why."""


def _not_run(name: str, why: str) -> Row:
    return Row(name, Outcome.NOT_RUN, why)


def _object(answer: Answer, call: str) -> dict:
    """Return ANSWER's JSON object; an answer Heroku cannot read is a failure."""
    if answer.status in (204,) or (answer.body is None and answer.status >= 400):
        return {}
    if not isinstance(answer.body, dict):
        raise CheckFailed(f"{call} answered {answer.status} with JSON that is not an object")
    return answer.body


def _refusal(call: str, answer: Answer, *, expected: str) -> str:
    """Return why ANSWER to CALL is not the EXPECTED one, with the portal's message."""
    message = answer.body.get("message") if isinstance(answer.body, dict) else None
    text = f"{call} answered {answer.status}, not {expected}"
    if answer.status == 401:
        text += ": the portal refused the add-on id and password (--addon, --password)"
    if message:
        text += f": {message}"
    return text


def run_conformance(target: Target, *, fake: FakeHeroku, waiter: Waiter | None = None) -> list[Row]:
    """Play Heroku against TARGET with FAKE on Heroku's side; return one row per check."""
    return Scenario(target, fake=fake, waiter=waiter or Waiter()).run()
