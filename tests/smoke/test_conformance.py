"""`manage.py check_partner_integration` against the portal in real processes: gunicorn on
PostgreSQL, with HEROKU_API_URL and HEROKU_ID_URL pointing at the fake Heroku that the command
serves itself on a port chosen here. The command runs as a process of its own, as a partner runs
it, with the add-on's secrets in its environment.
"""

import secrets

import pytest

from tests.production import manage, production_env
from tests.smoke.processes import free_port, running_gunicorn

ADDON = "acme-search"
PASSWORD = secrets.token_urlsafe(24)
SSO_SALT = secrets.token_urlsafe(24)[:32]
CLIENT_SECRET = secrets.token_urlsafe(24)


def create_addon(env: dict[str, str]) -> None:
    """Create a company and its add-on with the plans basic and pro."""
    completed = manage(
        "shell",
        "--no-imports",
        "-c",
        "from accounts.models import Company\n"
        "from addons.models import Addon, Plan\n"
        "company = Company.objects.create(name='Conformance Co', slug='conformance-co')\n"
        f"addon = Addon.objects.create(company=company, slug={ADDON!r}, name='Acme Search',"
        f" api_password={PASSWORD!r}, sso_salt={SSO_SALT!r},"
        f" oauth_client_secret={CLIENT_SECRET!r})\n"
        "Plan.objects.create(addon=addon, slug='basic', name='Basic')\n"
        "Plan.objects.create(addon=addon, slug='pro', name='Pro', price_cents=2500)\n",
        env=env,
    )
    assert completed.returncode == 0, completed.stderr


@pytest.fixture(scope="module")
def portal(smoke_env, tmp_path_factory):
    """Gunicorn serving the portal, told that Heroku is at 127.0.0.1:FAKE_PORT; yields
    (portal URL, fake port)."""
    fake_port = free_port()
    env = {
        **smoke_env,
        "HEROKU_API_URL": f"http://127.0.0.1:{fake_port}",
        "HEROKU_ID_URL": f"http://127.0.0.1:{fake_port}",
    }
    create_addon(env)
    with running_gunicorn(env, tmp_path_factory.mktemp("conformance")) as gunicorn:
        yield gunicorn.url, fake_port


def check(portal, *args: str):
    """Run the command against PORTAL as a partner would: its own process and environment."""
    url, fake_port = portal
    env = production_env(
        PARTNER_ADDON_ID=ADDON,
        PARTNER_API_PASSWORD=PASSWORD,
        PARTNER_SSO_SALT=SSO_SALT,
        PARTNER_OAUTH_CLIENT_SECRET=CLIENT_SECRET,
    )
    return manage("check_partner_integration", url, "--fake-port", str(fake_port), *args, env=env)


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
