"""System checks for the add-on settings."""

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


@register()
def check_sso_settings(app_configs, **kwargs):
    """Warn when Add-on SSO accepts tokens that do not sign the user, or trusts old lists long."""
    problems = []
    if settings.SSO_ALLOW_LEGACY_TOKEN:
        problems.append(
            Warning(
                "SSO_ALLOW_LEGACY_TOKEN is on: an SSO request without a user-scoped token is "
                "accepted on the sha1 resource_token, which signs neither user id nor email.",
                hint="Turn it off unless Heroku still sends your add-on only the legacy token.",
                id="addons.W003",
            )
        )
    if settings.SSO_STALE_GRACE > settings.SSO_SESSION_AGE:
        problems.append(
            Warning(
                f"SSO_STALE_GRACE ({settings.SSO_STALE_GRACE} s) exceeds SSO_SESSION_AGE "
                f"({settings.SSO_SESSION_AGE} s): while Heroku is unreachable, a list older than "
                "any session may still let people in.",
                hint="Keep SSO_STALE_GRACE at or below SSO_SESSION_AGE (see README, Add-on SSO).",
                id="addons.W004",
            )
        )
    return problems
