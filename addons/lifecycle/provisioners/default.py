"""The built-in provisioner: a URL per resource on the add-on's own host, and nothing else.

It is what the portal did before provisioners existed, and what an add-on gets when neither
ADDON_PROVISIONER nor a service URL is set: `<PREFIX>_URL = <origin of base_url, or
SITE_URL>/resources/<uuid>`, synchronously.

It holds no credential, so rotating means giving the URL a fresh random `key` query parameter:
the app sees new config (and restarts, as with any rotation), and a service that reads the key
can tell old URLs from new ones. Retiring does nothing; the portal checks no key itself.
"""

from __future__ import annotations

import secrets
import uuid as uuidlib
from urllib.parse import urlsplit

from django.conf import settings

from addons.lifecycle.provisioners.base import Done, Provisioner
from addons.models import Addon


def resource_url(addon: Addon, resource_uuid: uuidlib.UUID) -> str:
    """Return the URL of a resource on ADDON's host (SITE_URL when the add-on has no base_url)."""
    parts = urlsplit(addon.base_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return f"{origin or settings.SITE_URL}/resources/{resource_uuid}"


def url_var(addon: Addon) -> str:
    """Return the name of the built-in config var: the effective prefix and _URL."""
    return f"{addon.effective_config_vars_prefix}_URL"


class DefaultProvisioner(Provisioner):
    """One URL per resource on the add-on's host; rotation adds a fresh `key` to it."""

    def provision(self, *, resource, plan, region, options) -> Done:
        """Return the resource's URL as its one config var."""
        return Done(config={url_var(resource.addon): resource_url(resource.addon, resource.uuid)})

    def rotate_credentials(self, *, resource, rotation) -> Done:
        """Return the resource's URL with a new random key."""
        url = resource_url(resource.addon, resource.uuid)
        return Done(config={url_var(resource.addon): f"{url}?key={secrets.token_urlsafe(24)}"})
