"""The OAuth2 authorization code flow against Heroku, through django-allauth's OAuth2 client."""

import functools

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2Adapter,
    OAuth2CallbackView,
    OAuth2LoginView,
)
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404

from accounts.addresses import validate_email_address
from accounts.heroku_login import config

HEROKU_ACCEPT = "application/vnd.heroku+json; version=3"


class HerokuOAuth2Adapter(OAuth2Adapter):
    """Heroku's endpoints, read from the settings on each use (tests point them at a fake)."""

    provider_id = config.PROVIDER_ID

    @property
    def authorize_url(self) -> str:
        return f"{settings.HEROKU_ID_URL}/oauth/authorize"

    @property
    def access_token_url(self) -> str:
        return f"{settings.HEROKU_ID_URL}/oauth/token"

    @property
    def profile_url(self) -> str:
        return f"{settings.HEROKU_API_URL}/account"

    def complete_login(self, request, app, token, **kwargs):
        """Read the Heroku account the token belongs to, and make the login of it."""
        account = fetch_account(self.profile_url, token.token)
        return self.get_provider().sociallogin_from_response(request, account)


def fetch_account(url: str, access_token: str) -> dict:
    """Return Heroku's account (`id`, `email`, `verified`, `name`) for ACCESS_TOKEN.

    Raise ProviderException, which allauth shows as a failed login, for anything else.
    """
    headers = {"Accept": HEROKU_ACCEPT, "Authorization": f"Bearer {access_token}"}
    with get_adapter().get_requests_session() as session:
        response = session.get(url, headers=headers)
    if response.status_code != 200:
        raise ProviderException(f"Heroku answered {response.status_code} to the account request.")
    try:
        account = response.json()
    except ValueError:
        raise ProviderException("Heroku's account answer is not JSON.") from None
    if not isinstance(account, dict):
        raise ProviderException("Heroku's account answer is not an object.")
    user_id, email = account.get("id"), account.get("email")
    if not isinstance(user_id, str) or not user_id.strip():
        raise ProviderException("Heroku's account answer has no user id.")
    if not isinstance(email, str):
        raise ProviderException("Heroku's account answer has no e-mail address.")
    try:
        validate_email_address(email)
        validate_email(email.strip())
    except ValidationError:
        raise ProviderException(
            "The Heroku account's e-mail address cannot be used here."
        ) from None
    return account


def _only_when_enabled(view):
    """Answer 404 while Log in with Heroku is off; let the page post on to Heroku while it is on."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not config.is_enabled():
            raise Http404("Log in with Heroku is off: the portal has no Heroku OAuth client.")
        return config.allow_form_action(view(request, *args, **kwargs))

    return wrapped


oauth2_login = _only_when_enabled(OAuth2LoginView.adapter_view(HerokuOAuth2Adapter))
oauth2_callback = _only_when_enabled(OAuth2CallbackView.adapter_view(HerokuOAuth2Adapter))
