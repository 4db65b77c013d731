"""System checks of the Add-on SSO settings."""

from django.conf import settings
from django.core.checks import Warning, register


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
