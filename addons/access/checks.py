"""System checks of the access-list sync settings."""

from django.conf import settings
from django.core.checks import Error, Warning, register


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


@register()
def check_sync_breaker(app_configs, **kwargs):
    """Refuse circuit-breaker settings that cannot mean anything."""
    problems = []
    share = settings.SYNC_BREAKER_SHARE
    if not 0 <= share <= 1:
        problems.append(
            Error(
                f"SYNC_BREAKER_SHARE is {share}; it is a share of the lists a run compares.",
                hint="Set it between 0 and 1 (0.5 by default; 1 never trips the breaker).",
                id="addons.E001",
            )
        )
    if settings.SYNC_BREAKER_MIN_LISTS < 1:
        problems.append(
            Error(
                f"SYNC_BREAKER_MIN_LISTS is {settings.SYNC_BREAKER_MIN_LISTS}; the breaker "
                "cannot judge a share of no lists.",
                hint="Set it to 1 or more (20 by default).",
                id="addons.E002",
            )
        )
    if settings.SYNC_BREAKER_HOLD < 0:
        problems.append(
            Error(
                f"SYNC_BREAKER_HOLD is {settings.SYNC_BREAKER_HOLD} s; a pause cannot be negative.",
                hint="Set it to 0 (only the run that trips the breaker pauses) or more.",
                id="addons.E003",
            )
        )
    return problems
