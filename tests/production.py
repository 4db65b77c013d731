"""The environment of a production process, for tests that start real `manage.py` or gunicorn."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent

# A checkout's `.env` fills in whatever the environment leaves unset (settings read it with
# overwrite=False), so every setting that changes a check's outcome is given explicitly here.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def production_env(**overrides: str) -> dict[str, str]:
    """Return a production-like environment: DEBUG off, fresh secrets, real email, SSL redirect.

    OVERRIDES replace or add variables; to unset one, delete it from the returned dict.
    """
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "portal.example.com",
            "SITE_URL": "https://portal.example.com",
            "DATABASE_URL": "sqlite:///:memory:",
            "EMAIL_URL": "smtp+tls://portal:password@smtp.example.com:587",
            "SECURE_SSL_REDIRECT": "true",
            "REDIS_URL": "",
        }
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python manage.py ARGS` in ENV and return the finished process (output captured)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
