"""`manage.py check_partner_integration` against the portal in real processes: gunicorn and a
qcluster on PostgreSQL, with HEROKU_API_URL and HEROKU_ID_URL pointing at the fake Heroku that
the command serves itself on a port chosen here. The command runs as a process of its own, as a
partner runs it, with the add-on's secrets in its environment.

Two add-ons: acme-search provisions at once (the built-in provisioner); acme-async has a
partner's service (tests/partner_service.py, a process of its own) that answers "pending" and
completes when the test says so, after which the qcluster tells the fake Heroku.
"""

import json
import secrets
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.production import BASE_DIR, manage, production_env
from tests.smoke.processes import (
    RunningProcess,
    Server,
    free_port,
    running_gunicorn,
    running_qcluster,
    start_process,
    stop_and_check,
    wait_until,
)

ADDON, ASYNC_ADDON = "acme-search", "acme-async"
PASSWORD = secrets.token_urlsafe(24)
SSO_SALT = secrets.token_urlsafe(24)[:32]
CLIENT_SECRET = secrets.token_urlsafe(24)
SERVICE_SECRET = secrets.token_urlsafe(32)
WAIT = 60.0


def create_addons(env: dict[str, str], *, service_url: str) -> None:
    """Create a company and its two add-ons, each with the plans basic and pro; acme-async's
    provisioner is the partner's service at SERVICE_URL (plain http on loopback: written
    directly, past the https rule of the settings page)."""
    completed = manage(
        "shell",
        "--no-imports",
        "-c",
        "from accounts.models import Company\n"
        "from addons.models import Addon, AddonService, Plan\n"
        "company = Company.objects.create(name='Conformance Co', slug='conformance-co')\n"
        f"for slug in ({ADDON!r}, {ASYNC_ADDON!r}):\n"
        "    addon = Addon.objects.create(company=company, slug=slug, name=slug,"
        f" api_password={PASSWORD!r}, sso_salt={SSO_SALT!r},"
        f" oauth_client_secret={CLIENT_SECRET!r}, config_vars_prefix='ACME_SEARCH',"
        " config_vars=['ACME_SEARCH_URL'])\n"
        "    Plan.objects.create(addon=addon, slug='basic', name='Basic')\n"
        "    Plan.objects.create(addon=addon, slug='pro', name='Pro', price_cents=2500)\n"
        f"AddonService.objects.create(addon=addon, url={service_url!r},"
        f" signing_secret={SERVICE_SECRET!r})\n",
        env=env,
    )
    assert completed.returncode == 0, completed.stderr


@dataclass
class Portal:
    url: str
    fake_port: int
    partner: Server
    cluster: RunningProcess


@pytest.fixture(scope="module")
def portal(smoke_env, tmp_path_factory):
    """Gunicorn and a qcluster serving the portal, told that Heroku is at 127.0.0.1:FAKE_PORT,
    and the partner's service of acme-async, which answers every provisioning "pending"."""
    log_dir = tmp_path_factory.mktemp("conformance")
    fake_port, partner_port = free_port(), free_port()
    env = {
        **smoke_env,
        "HEROKU_API_URL": f"http://127.0.0.1:{fake_port}",
        "HEROKU_ID_URL": f"http://127.0.0.1:{fake_port}",
        # The SSO row re-fetches the new resource's list from the command's fake; on a loaded
        # CI machine 3 s (the default) was once not enough, and a failed re-fetch is a 403.
        "SSO_REFETCH_TIMEOUT": "20",
    }
    create_addons(env, service_url=f"http://127.0.0.1:{partner_port}/events")
    with running_gunicorn(env, log_dir) as gunicorn:
        partner = start_process(
            "partner-service",
            [
                *(sys.executable, "-m", "tests.partner_service", "--port", str(partner_port)),
                *("--secret", SERVICE_SECRET, "--portal", gunicorn.url),
            ],
            env=production_env(),
            log_dir=log_dir,
        )
        service = Server(process=partner, host="127.0.0.1", port=partner_port)
        try:
            wait_until(
                lambda: _answers(service),
                timeout=30,
                message="the partner's service",
                process=partner,
            )
            service.json("POST", "/_partner/modes", {"provision": "pending"})
            with running_qcluster(env, log_dir) as cluster:
                yield Portal(gunicorn.url, fake_port, service, cluster)
        finally:
            stop_and_check(partner)


def _answers(server: Server) -> bool:
    try:
        return server.get("/_partner/events").status == 200
    except OSError:
        return False


def command(portal: Portal, *args: str, addon: str = ADDON) -> list[str]:
    """The command line a partner runs against PORTAL's ADDON."""
    return [
        *(sys.executable, "manage.py", "check_partner_integration", portal.url),
        *("--fake-port", str(portal.fake_port), "--addon", addon, *args),
    ]


def command_env() -> dict[str, str]:
    """The environment a partner runs the command in: the secrets, nothing of the portal's."""
    return production_env(
        PARTNER_API_PASSWORD=PASSWORD,
        PARTNER_SSO_SALT=SSO_SALT,
        PARTNER_OAUTH_CLIENT_SECRET=CLIENT_SECRET,
    )


def check(portal: Portal, *args: str) -> subprocess.CompletedProcess:
    """Run the command against PORTAL's acme-search as a partner would, and wait for it."""
    return manage(*command(portal, *args)[2:], env=command_env())


def test_the_portal_passes_the_conformance_check(portal):
    completed = check(portal)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    for row in (
        "provision (with an OAuth grant)  pass     200, config ACME_SEARCH_URL",
        "OAuth grant exchanged            pass",
        "async provisioning completed     skip     provisioned at once (200)",
        "plan change                      pass     200, now on acme-search:pro",
        "SSO (user-scoped token)          pass     redirected to /dashboard/",
        "SSO with a bad token refused     pass     403",
        "bad credentials refused (401)    pass",
        "de-provision                     pass     204",
    ):
        assert row in out, out
    assert "The integration passes: 7 passed, 0 failed, 1 skipped." in out


def test_a_portal_that_refuses_the_plan_change_fails_on_that_row(portal):
    completed = check(portal, "--new-plan", "platinum")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    failed = [line for line in completed.stdout.splitlines() if "  FAIL  " in line]
    assert len(failed) == 1 and failed[0].startswith("plan change"), completed.stdout
    assert "answered 422, not 200" in failed[0]
    assert "The integration fails: 6 passed, 1 failed, 1 skipped." in completed.stderr
    assert "Traceback" not in completed.stderr


def test_wrong_credentials_are_named_without_a_traceback(portal):
    completed = check(portal, "--password", "not the password")
    assert completed.returncode == 1
    assert "refused the add-on id and password (--addon, --password)" in completed.stdout
    assert "Traceback" not in completed.stderr


def test_an_asynchronous_service_passes_once_the_portal_tells_heroku(portal):
    process = subprocess.Popen(
        command(portal, "--async-timeout", str(WAIT), addon=ASYNC_ADDON),
        cwd=BASE_DIR,
        env=command_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        resource = wait_until(
            lambda: _provision_event(portal.partner),
            timeout=WAIT,
            message="the provision event reaching the partner's service",
        )
        answer = portal.partner.json(
            "POST", "/_partner/complete", {"resource": resource, "what": "provisioned"}
        )
        assert answer["status"] == 200, answer
        out, err = process.communicate(timeout=WAIT * 2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, out + err + portal.cluster.log()
    assert "provision (with an OAuth grant)  pass     202: pending" in out
    assert (
        "async provisioning completed     pass     PATCH config, then POST actions/provision" in out
    )
    assert "The integration passes: 8 passed, 0 failed." in out


def _provision_event(partner: Server) -> str | None:
    events = json.loads(partner.get("/_partner/events").body)
    provisions = [e for e in events if e["type"] == "resource.provision"]
    return provisions[-1]["resource"]["uuid"] if provisions else None
