"""System checks of the add-on lifecycle's settings (run by `manage.py check` and at startup)."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

from addons.lifecycle.provisioners.base import Provisioner


@register()
def check_provisioner(app_configs, **kwargs):
    """ADDON_PROVISIONER, when set, must name a Provisioner subclass that can be imported."""
    path = settings.ADDON_PROVISIONER
    if not path:
        return []
    try:
        provisioner = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"ADDON_PROVISIONER {path!r} cannot be imported ({exc}).",
                hint="Give the dotted path of a subclass of "
                "addons.lifecycle.provisioners.Provisioner, or leave it empty.",
                id="addons.E001",
            )
        ]
    if not (isinstance(provisioner, type) and issubclass(provisioner, Provisioner)):
        return [
            Error(
                f"ADDON_PROVISIONER {path!r} is not a subclass of "
                "addons.lifecycle.provisioners.Provisioner.",
                id="addons.E002",
            )
        ]
    return []


@register()
def check_credential_overlap(app_configs, **kwargs):
    """Old credentials must outlive a restart of the app: warn below five minutes."""
    if settings.CREDENTIAL_OVERLAP_SECONDS < 300 and not settings.DEBUG:
        return [
            Warning(
                f"CREDENTIAL_OVERLAP_SECONDS is {settings.CREDENTIAL_OVERLAP_SECONDS}: old "
                "credentials stop working before the app's dynos may have restarted.",
                hint="Heroku suggests keeping them an hour or two (3600 to 7200).",
                id="addons.W005",
            )
        ]
    return []
