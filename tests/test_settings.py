import subprocess
import sys

from django.conf import settings


def test_default_auto_settings_are_sane():
    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert settings.ACCESS_LIST_MAX_AGE == 300


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr
