"""Who a Heroku login makes a person in the portal (django-allauth's social account adapter).

- Heroku must say the account is verified; otherwise the login is refused.
- A Heroku account connected before logs in as the person it is connected to.
- A new Heroku account whose address no portal account uses becomes a new account, its address
  proven by Heroku, its Heroku user id kept as the SocialAccount's uid.
- A new Heroku account whose address a portal account uses is connected to it only when that
  account's address is verified too. An unverified account with that address is refused, with a
  message: whoever signed up with it may not own it, so a Heroku login never takes it over, and
  it never claims the Heroku identity of the address's real owner either. The owner takes the
  account back with a password reset (its link goes to the address), verifies it, and logs in
  with Heroku again.
"""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess

from accounts import selectors
from accounts.addresses import normalize_email
from accounts.heroku_login import config
from accounts.models import User
from accounts.views.common import render_error


def _refuse(request, *, title: str, message: str, status: int):
    raise ImmediateHttpResponse(render_error(request, title=title, message=message, status=status))


class HerokuLoginAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        """The portal's one OAuth client, from the settings; none while the login is off."""
        app = config.oauth_app()
        if app is None or (provider and provider != app.provider):
            return []
        if client_id and client_id != app.client_id:
            return []
        return [app]

    def populate_user(self, request, sociallogin, data):
        user = sociallogin.user
        user.email = normalize_email(data.get("email") or "")
        user.name = (data.get("name") or "")[: User._meta.get_field("name").max_length]
        return user

    def pre_social_login(self, request, sociallogin):
        """Refuse an unverified Heroku account; connect a verified one to its verified owner."""
        account = sociallogin.account.extra_data
        email = normalize_email(account.get("email") or "")
        if account.get("verified") is not True:
            _refuse(
                request,
                title="Your Heroku account is not verified",
                message=f"Heroku has not verified {email}, the address of your Heroku account. "
                "Verify it at Heroku, then log in with Heroku again.",
                status=403,
            )
        if sociallogin.is_existing or sociallogin.state.get("process") == AuthProcess.CONNECT:
            return
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            return  # a new account, its address proven by Heroku
        if not selectors.has_verified_email(user):
            _refuse(
                request,
                title="This address's portal account is not verified",
                message=f"A portal account already uses {email}, but its address was never "
                "verified, so it cannot be joined to your Heroku login. If it is yours, log in "
                "to it and follow the verification link; if you never signed up here, reset its "
                "password (the link goes to your address) and log in. Then log in with Heroku "
                "again.",
                status=409,
            )
        sociallogin.connect(request, user)
