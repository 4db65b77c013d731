"""System checks of the access-list sync settings."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def check_sync_interval(app_configs, **kwargs):
    """Warn when access lists would be re-synced less often than Heroku asks."""
    interval = settings.SYNC_INTERVAL
    problems = []
    if interval > 300:
        problems.append(
            Warning(
                f"SYNC_INTERVAL is {interval} s; Heroku asks that access lists be no older "
                "than 300 s.",
                hint="Set SYNC_INTERVAL to 300 or less.",
                id="addons.W001",
            )
        )
    if interval > settings.SSO_SESSION_AGE:
        problems.append(
            Warning(
                f"SYNC_INTERVAL ({interval} s) exceeds SSO_SESSION_AGE "
                f"({settings.SSO_SESSION_AGE} s): a removed user could keep a dashboard session "
                "past the next sync.",
                hint="Lower SYNC_INTERVAL or raise SSO_SESSION_AGE.",
                id="addons.W002",
            )
        )
    return problems
