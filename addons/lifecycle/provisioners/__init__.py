"""The provisioner of an add-on: its service's (HTTP), the project's (ADDON_PROVISIONER), or the
built-in default. See `base` for the interface."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from addons.lifecycle.provisioners.base import Done, Pending, Provisioner
from addons.lifecycle.provisioners.default import DefaultProvisioner
from addons.lifecycle.provisioners.http import HTTPProvisioner
from addons.models import Addon, AddonService

__all__ = [
    "DefaultProvisioner",
    "Done",
    "HTTPProvisioner",
    "Pending",
    "Provisioner",
    "provisioner_for",
]


def provisioner_for(addon: Addon) -> Provisioner:
    """Return ADDON's provisioner: its service's when one is set, else ADDON_PROVISIONER's class,
    else the built-in default."""
    service = AddonService.objects.filter(addon=addon).first()
    if service is not None and service.is_configured:
        return HTTPProvisioner(service)
    if settings.ADDON_PROVISIONER:
        return import_string(settings.ADDON_PROVISIONER)()
    return DefaultProvisioner()
