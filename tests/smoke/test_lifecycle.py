"""The add-on lifecycle end to end, in real processes on PostgreSQL: gunicorn and a qcluster run
the portal; the fake Heroku and the partner's service (tests/partner_service.py) run as processes
of their own. The tests share the processes (one module, started once) and each works on its own
resource; every wait is on something observable (a write the fake Heroku saw, an event the
partner's service got), never a sleep.

Heroku is played by the test: it provisions through the Partner API on gunicorn and logs a
customer in through Add-on SSO. The partner's service is driven through its control API: it
answers "pending" when asked to, and completes later when the test says so.
"""

import http.client
import json
import re
import secrets
import sys
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils.dateparse import parse_datetime

from tests.addons.partner_api.partner_api import basic_auth, provision_body
from tests.builders import sso_form
from tests.production import manage, production_env
from tests.smoke.processes import (
    Server,
    free_port,
    running_fake_heroku,
    running_gunicorn,
    running_qcluster,
    start_process,
    stop_and_check,
    wait_until,
)

ADDON = "acme-search"
PASSWORD = secrets.token_urlsafe(24)
SSO_SALT = secrets.token_urlsafe(24)[:32]
CLIENT_SECRET = "smoke-lifecycle-client-secret"
SERVICE_SECRET = secrets.token_urlsafe(32)
OWNER = "owner@example.com"
# Long enough for the app to be told, short enough for the test to see the retirement.
OVERLAP_SECONDS = 2
# django-q2's scheduler looks for due schedules about every 30 s; a retirement waits for it.
SCHEDULER_TIMEOUT = 75.0
TASK_TIMEOUT = 30.0


def django_shell(script: str, env: dict[str, str]) -> str:
    completed = manage("shell", "--no-imports", "-c", script, env=env)
    assert completed.returncode == 0, f"manage.py shell failed:\n{completed.stderr}"
    return completed.stdout


def create_addon(env: dict[str, str], *, service_url: str) -> None:
    """Create a company, its add-on (plans basic and pro), an operator, and the add-on's service
    settings (written directly: the service URL is plain http on loopback)."""
    django_shell(
        "from accounts.models import Company, User\n"
        "from addons.models import Addon, AddonService, Plan\n"
        "company = Company.objects.create(name='Lifecycle Co', slug='lifecycle-co')\n"
        f"addon = Addon.objects.create(company=company, slug={ADDON!r}, name='Acme Search',"
        f" api_password={PASSWORD!r}, sso_salt={SSO_SALT!r},"
        f" oauth_client_secret={CLIENT_SECRET!r}, config_vars=['ACME_SEARCH_URL'])\n"
        "Plan.objects.create(addon=addon, slug='basic', name='Basic')\n"
        "Plan.objects.create(addon=addon, slug='pro', name='Pro', price_cents=2500)\n"
        f"AddonService.objects.create(addon=addon, url={service_url!r},"
        f" signing_secret={SERVICE_SECRET!r})\n"
        "User.objects.create_superuser('operator@example.com', 'operator password 1')\n",
        env,
    )


@pytest.fixture(scope="module")
def stack(smoke_env, tmp_path_factory):
    """The fake Heroku, gunicorn, the partner's service and a qcluster, started once."""
    log_dir = tmp_path_factory.mktemp("lifecycle")
    with running_fake_heroku(log_dir) as fake:
        env = {
            **smoke_env,
            "HEROKU_API_URL": fake.url,
            "HEROKU_ID_URL": fake.url,
            "CREDENTIAL_OVERLAP_SECONDS": str(OVERLAP_SECONDS),
        }
        partner_port = free_port()
        create_addon(env, service_url=f"http://127.0.0.1:{partner_port}/events")
        with (
            running_gunicorn(env, log_dir) as gunicorn,
            running_partner(log_dir, port=partner_port, portal=gunicorn.url) as partner,
            running_qcluster(env, log_dir) as cluster,
        ):
            yield Stack(env=env, fake=fake, gunicorn=gunicorn, partner=partner, cluster=cluster)


class running_partner:  # noqa: N801 (a context manager, used like the others in processes.py)
    """Run tests/partner_service.py as a process of its own, checking with SERVICE_SECRET."""

    def __init__(self, log_dir, *, port: int, portal: str):
        self.args = [
            *(sys.executable, "-m", "tests.partner_service", "--port", str(port)),
            *("--secret", SERVICE_SECRET, "--portal", portal),
        ]
        self.log_dir, self.port = log_dir, port

    def __enter__(self) -> Server:
        process = start_process(
            "partner-service", self.args, env=production_env(), log_dir=self.log_dir
        )
        self.server = Server(process=process, host="127.0.0.1", port=self.port)

        def answers() -> bool:
            try:
                return self.server.get("/_partner/events").status == 200
            except OSError:
                return False

        wait_until(answers, timeout=30, message="the partner's service answering", process=process)
        return self.server

    def __exit__(self, *exc) -> None:
        stop_and_check(self.server.process)


class Stack:
    def __init__(self, *, env, fake, gunicorn, partner, cluster):
        self.env, self.fake, self.gunicorn = env, fake, gunicorn
        self.partner, self.cluster = partner, cluster

    # Heroku, played by the test -------------------------------------------------------------
    def new_addon(self, *, state: str = "provisioning") -> tuple[str, str]:
        """Have Heroku create an add-on on a new app; return (uuid, grant code)."""
        created = self.fake.json(
            "POST", "/_fake/resources", {"owner": OWNER, "app_name": None, "state": state}
        )
        grant = self.fake.json(
            "POST", "/_fake/grants", {"resource": created["uuid"], "client_secret": CLIENT_SECRET}
        )
        return created["uuid"], grant["code"]

    def partner_api(self, method: str, path: str, body=None):
        response = self.gunicorn.request(
            method, path, json_body=body, headers={"Authorization": basic_auth(ADDON, PASSWORD)}
        )
        return response.status, json.loads(response.body or b"null")

    def provision(self, resource_uuid: str, code: str, **extra):
        body = provision_body(resource_uuid, plan=f"{ADDON}:basic", code=code, **extra)
        # Logplex's input is the fake's: the portal writes its lines there.
        body["log_input_url"] = self.fake.url.replace("//", "//token:secret@") + "/log-input/app"
        return self.partner_api("POST", "/heroku/resources", body)

    def writes(self, resource_uuid: str) -> list[str]:
        writes = self.fake.json("POST", "/_fake/writes", {"resource": resource_uuid})
        return [f"{w['method']} {w['path']}" for w in writes]

    def addon_on_heroku(self, resource_uuid: str) -> dict:
        return self.fake.json("POST", "/_fake/addon", {"resource": resource_uuid})

    # The partner's service ------------------------------------------------------------------
    def partner_events(self, resource_uuid: str) -> list[dict]:
        events = json.loads(self.partner.get("/_partner/events").body)
        return [e for e in events if e["resource"]["uuid"] == resource_uuid]

    def partner_resource(self, resource_uuid: str) -> dict:
        return json.loads(self.partner.get("/_partner/resources").body)[resource_uuid]

    def complete(self, resource_uuid: str, what: str) -> dict:
        answer = self.partner.json(
            "POST", "/_partner/complete", {"resource": resource_uuid, "what": what}
        )
        assert answer["status"] == 200, answer
        return answer["answer"]

    # The portal's database ------------------------------------------------------------------
    def resource(self, resource_uuid: str) -> dict:
        out = django_shell(
            "import json\n"
            "from addons.models import AddonResource\n"
            f"r = AddonResource.objects.select_related('plan').get(uuid={resource_uuid!r})\n"
            "print(json.dumps({'state': r.state, 'waiting_on': r.waiting_on, 'plan': r.plan.slug,"
            " 'config': r.config, 'created_at': r.created_at.isoformat(),"
            " 'events': list(r.lifecycle_events.values_list('step', 'outcome'))}))\n",
            self.env,
        )
        return json.loads(out.strip().splitlines()[-1])

    def access_list(self, resource_uuid: str) -> set[str] | None:
        completed = manage("access_list", resource_uuid, "--json", env=self.env)
        if completed.returncode != 0:
            return None
        return {person["email"] for person in json.loads(completed.stdout)["people"]}

    def wait_for_writes(self, resource_uuid: str, expected: list[str], message: str) -> None:
        wait_until(
            lambda: self.writes(resource_uuid) == expected,
            timeout=TASK_TIMEOUT,
            message=message,
            process=self.cluster,
        )


def pending_provision(stack: Stack) -> str:
    resource_uuid, code = stack.new_addon()
    status, body = stack.provision(resource_uuid, code, options={"provisioning": "pending"})
    assert status == 202, body
    assert set(body) == {"id", "message"}
    return resource_uuid


def provision_and_heroku_calls(uuid: str) -> list[str]:
    return [f"PATCH /addons/{uuid}/config", f"POST /addons/{uuid}/actions/provision"]


# The tests ---------------------------------------------------------------------------------
def test_a_synchronous_provision_answers_the_services_config(stack):
    resource_uuid, code = stack.new_addon(state="provisioned")

    status, body = stack.provision(resource_uuid, code)

    assert status == 200, body
    assert body["config"] == {"ACME_SEARCH_URL": re_key(body, resource_uuid)}
    assert stack.partner_resource(resource_uuid)["state"] == "provisioned"
    assert stack.writes(resource_uuid) == []  # Heroku took the config from the answer


def re_key(body: dict, resource_uuid: str) -> str:
    url = body["config"]["ACME_SEARCH_URL"]
    assert re.fullmatch(rf"https://search\.acme\.example/{resource_uuid}\?key=[0-9a-f]+", url)
    return url


def test_an_asynchronous_provision_tells_heroku_config_then_provision_once(stack):
    resource_uuid = pending_provision(stack)
    assert stack.writes(resource_uuid) == []

    stack.complete(resource_uuid, "provisioned")

    stack.wait_for_writes(
        resource_uuid,
        provision_and_heroku_calls(resource_uuid),
        "the fake Heroku seeing PATCH config, then actions/provision",
    )
    on_heroku = stack.addon_on_heroku(resource_uuid)
    assert on_heroku["addon"]["state"] == "provisioned"
    issued = stack.partner_resource(resource_uuid)["credentials"][-1]["key"]
    assert on_heroku["config"]["ACME_SEARCH_URL"].endswith(f"?key={issued}")
    resource = stack.resource(resource_uuid)
    assert (resource["state"], resource["waiting_on"]) == ("provisioned", "")
    # Exactly once: the portal is done with it, and the fake saw each call once.
    assert stack.writes(resource_uuid) == provision_and_heroku_calls(resource_uuid)


def test_a_plan_change_while_pending_reaches_the_service_after_provisioning(stack):
    resource_uuid = pending_provision(stack)
    status, body = stack.partner_api(
        "PUT", f"/heroku/resources/{resource_uuid}", {"plan": f"{ADDON}:pro"}
    )
    assert status == 200, body
    assert [e["type"] for e in stack.partner_events(resource_uuid)] == ["resource.provision"]

    stack.complete(resource_uuid, "provisioned")

    stack.wait_for_writes(
        resource_uuid, provision_and_heroku_calls(resource_uuid), "provisioning told to Heroku"
    )
    assert [(e["type"], e["resource"]["plan"]) for e in stack.partner_events(resource_uuid)] == [
        ("resource.provision", "basic"),
        ("resource.plan_change", "pro"),
    ]
    assert stack.resource(resource_uuid)["plan"] == "pro"


def test_a_rotation_from_the_dashboard_reaches_heroku_and_retires_the_old_credentials(stack):
    resource_uuid, code = stack.new_addon(state="provisioned")
    status, body = stack.provision(resource_uuid, code)
    assert status == 200, body
    first_url = body["config"]["ACME_SEARCH_URL"]
    # The first access-list sync, queued by provisioning, runs on the cluster; an SSO login that
    # raced it would find the list claimed and too new to trust.
    wait_until(
        lambda: stack.access_list(resource_uuid) == {OWNER},
        timeout=TASK_TIMEOUT,
        message="the first sync listing the app's owner",
        process=stack.cluster,
    )
    dashboard = Browser(stack.gunicorn)
    dashboard.sso_login(stack, resource_uuid)

    page = dashboard.get(f"/dashboard/{resource_uuid}/rotate-credentials")
    assert "restarts your app" in page
    dashboard.post(f"/dashboard/{resource_uuid}/rotate-credentials", csrf_from=page)

    def new_config_on_heroku() -> bool:
        url = stack.addon_on_heroku(resource_uuid)["config"].get("ACME_SEARCH_URL")
        return url not in (None, first_url) and url

    new_url = wait_until(
        new_config_on_heroku,
        timeout=TASK_TIMEOUT,
        message="the rotated config on the fake Heroku",
        process=stack.cluster,
    )
    credentials = stack.partner_resource(resource_uuid)["credentials"]
    assert new_url.endswith(f"?key={credentials[-1]['key']}")
    assert not credentials[0]["retired"]  # the old ones keep working for the overlap window

    wait_until(
        lambda: "credentials.retire" in [e["type"] for e in stack.partner_events(resource_uuid)],
        timeout=SCHEDULER_TIMEOUT,
        message="the old credentials retired through the service after the window",
        process=stack.cluster,
    )
    credentials = stack.partner_resource(resource_uuid)["credentials"]
    assert [c["retired"] for c in credentials] == [True, False]
    assert stack.writes(resource_uuid) == [f"PATCH /addons/{resource_uuid}/config"]


def test_an_asynchronous_deprovision_tells_heroku_once_the_service_is_done(stack):
    resource_uuid, code = stack.new_addon(state="provisioned")
    assert stack.provision(resource_uuid, code)[0] == 200
    stack.partner.json("POST", "/_partner/modes", {"deprovision": "pending"})
    try:
        status, body = stack.partner_api("DELETE", f"/heroku/resources/{resource_uuid}")
    finally:
        stack.partner.json("POST", "/_partner/modes", {"deprovision": "done"})
    assert status == 202, body
    assert stack.resource(resource_uuid)["state"] == "deprovisioning"

    stack.complete(resource_uuid, "deprovisioned")

    stack.wait_for_writes(
        resource_uuid,
        [f"POST /addons/{resource_uuid}/actions/deprovision"],
        "the fake Heroku seeing actions/deprovision",
    )
    assert stack.addon_on_heroku(resource_uuid)["addon"]["state"] == "deprovisioned"
    assert stack.resource(resource_uuid)["state"] == "deprovisioned"


def test_the_12_hour_deadline_fails_a_pending_provision_and_alerts_operators(stack):
    resource_uuid = pending_provision(stack)
    created = parse_datetime(stack.resource(resource_uuid)["created_at"])

    early = manage(
        "lifecycle_sweep",
        "--json",
        "--now",
        (created + timedelta(hours=11)).isoformat(),
        env=stack.env,
    )
    assert early.returncode == 0, early.stderr
    assert resource_uuid not in json.loads(early.stdout)["failed"]

    late = manage(
        "lifecycle_sweep",
        "--json",
        "--now",
        (created + timedelta(hours=12, minutes=1)).isoformat(),
        env=stack.env,
    )
    assert late.returncode == 0, late.stderr
    assert resource_uuid in json.loads(late.stdout)["failed"]
    resource = stack.resource(resource_uuid)
    assert resource["state"] == "failed"
    assert ["deadline", "failed"] in resource["events"]
    alerts = django_shell(
        "from accounts.models import Notification\n"
        "print(*Notification.objects.filter(kind='lifecycle_alert')"
        ".values_list('email', 'subject'), sep='\\n')\n",
        stack.env,
    )
    assert "operator@example.com" in alerts and resource_uuid in alerts


class Browser:
    """A customer's browser against gunicorn: cookies kept by hand, forms posted with CSRF."""

    def __init__(self, server: Server):
        self.server = server
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.read().decode(errors="replace")
        finally:
            connection.close()

    def get(self, path: str) -> str:
        status, text = self.request("GET", path)
        assert status == 200, (path, status, text[:500])
        return text

    def post(self, path: str, *, csrf_from: str) -> None:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', csrf_from)[1]
        status, text = self.request("POST", path, form={"csrfmiddlewaretoken": token})
        assert status == 302, (path, status, text[:500])

    def sso_login(self, stack: Stack, resource_uuid: str) -> None:
        """Log in to RESOURCE_UUID's dashboard as its app's owner, as Heroku's SSO form does."""
        world = stack.fake.json("GET", "/_fake/world")
        token = next(entry["token"] for entry in world if entry["uuid"] == resource_uuid)
        owner_id = owner_user_id(stack.fake, resource_uuid, token)
        form = sso_form(resource_uuid, user_id=owner_id, email=OWNER, salt=SSO_SALT)
        status, text = self.request("POST", "/sso/login", form=form)
        assert status == 302, (status, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))[-800:])


def owner_user_id(fake: Server, resource_uuid: str, token: str) -> str:
    """Return the Heroku user id of the app's owner, read from the fake as Heroku knows it."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.heroku+json; version=3",
    }
    addon = json.loads(fake.request("GET", f"/addons/{resource_uuid}", headers=headers).body)
    collaborators = json.loads(
        fake.request("GET", f"/apps/{addon['app']['id']}/collaborators", headers=headers).body
    )
    return next(c["user"]["id"] for c in collaborators if c["user"]["email"] == OWNER)
