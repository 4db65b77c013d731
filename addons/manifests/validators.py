"""The rules a manifest's values follow, wherever they are written: portal, admin or import."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

LOCAL_HOSTS = {"localhost", "127.0.0.1"}


CONFIG_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


REGION_NAME = re.compile(r"^[a-z0-9][a-z0-9:_.-]*$")


MIN_SECRET_LENGTH = 16


def validate_production_url(value: str) -> None:
    """Require https; plain http only for localhost or 127.0.0.1 while DEBUG is on."""
    parts = urlsplit(value)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and settings.DEBUG and parts.hostname in LOCAL_HOSTS:
        return
    raise ValidationError("Heroku calls production URLs over https only: use an https:// URL.")
