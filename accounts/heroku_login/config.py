"""Whether Log in with Heroku is on, and the OAuth client it uses (both from the settings)."""

from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from django.conf import settings

PROVIDER_ID = "heroku"


def is_enabled() -> bool:
    """Return whether the operator set the portal's Heroku OAuth client id and secret."""
    return bool(settings.HEROKU_OAUTH_CLIENT_ID and settings.HEROKU_OAUTH_CLIENT_SECRET)


def oauth_app() -> SocialApp | None:
    """Return the portal's Heroku OAuth client (never stored), or None while the login is off."""
    if not is_enabled():
        return None
    return SocialApp(
        provider=PROVIDER_ID,
        name="Heroku",
        client_id=settings.HEROKU_OAUTH_CLIENT_ID,
        secret=settings.HEROKU_OAUTH_CLIENT_SECRET,
    )


def allow_form_action(response):
    """Let RESPONSE's page post a form that ends at Heroku's authorize page (CSP form-action).

    A form that starts the Heroku login posts to the portal, which redirects the browser to
    HEROKU_ID_URL; browsers check that redirect against the page's `form-action` too.
    """
    if is_enabled():
        parts = urlsplit(settings.HEROKU_ID_URL)
        policy = dict(settings.SECURE_CSP)
        policy["form-action"] = [*policy.get("form-action", []), f"{parts.scheme}://{parts.netloc}"]
        response._csp_config = policy
    return response
