"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_asgi_application()

from accounts.throttling import log_lockout_policy  # noqa: E402 (needs the apps loaded)

log_lockout_policy()
