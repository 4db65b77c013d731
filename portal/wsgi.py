"""WSGI entry point (gunicorn portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

from accounts.throttling import log_lockout_policy  # noqa: E402 (needs the apps loaded)

log_lockout_policy()
