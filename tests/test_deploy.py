"""Production settings pass Django's deployment checks and refuse to start half-configured."""

import json
import tomllib

import pytest

from tests.production import BASE_DIR, manage, production_env


def test_production_settings_pass_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "check_id"),
    [
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECRET_KEY": "short"}, "security.W009"),
        ({"ALLOWED_HOSTS": ""}, "security.W020"),
        ({"EMAIL_URL": "consolemail://"}, "mail.E001"),
    ],
)
def test_deployment_checks_catch_a_weakened_setting(override, check_id):
    """The check above can fail: each weakened setting is reported."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(**override))

    assert result.returncode != 0
    assert check_id in result.stderr


def test_production_refuses_to_start_without_field_encryption_key():
    env = production_env()
    del env["FIELD_ENCRYPTION_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set when DEBUG is false" in result.stderr
    assert "Fernet.generate_key()" in result.stderr


def test_csp_allows_no_inline_code():
    from django.conf import settings

    policy = json.dumps(settings.SECURE_CSP)
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE


def test_procfile_runs_web_worker_and_release():
    processes = dict(
        line.split(": ", 1) for line in (BASE_DIR / "Procfile").read_text().splitlines() if line
    )

    assert processes == {
        "web": "gunicorn portal.wsgi --log-file -",
        "worker": "python manage.py qcluster",
        "release": "python manage.py migrate --no-input",
    }


def test_app_json_asks_for_every_production_secret():
    app = json.loads((BASE_DIR / "app.json").read_text())
    env = app["env"]

    assert env["DEBUG"]["value"] == "false"
    assert env["SECRET_KEY"]["generator"] == "secret"
    assert env["FIELD_ENCRYPTION_KEY"]["required"] is True
    assert {addon["plan"].split(":")[0] for addon in app["addons"]} == {
        "heroku-postgresql",
        "scheduler",
    }
    assert app["buildpacks"] == [{"url": "heroku/python"}]


def test_heroku_installs_the_dependencies_declared_in_pyproject():
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    requirements = [
        line
        for line in (BASE_DIR / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]

    assert requirements == ["."]
    assert any(dependency.startswith("gunicorn") for dependency in project["dependencies"])
