"""The admin shows who logged in with which Heroku account (allauth's SocialAccount admin) and
every e-mail address with whether it is verified (allauth's EmailAddress admin, where an operator
who vouches for an address may mark it verified).

It hides allauth's OAuth clients and tokens: the portal's one Heroku OAuth client comes from the
environment (HEROKU_OAUTH_CLIENT_ID and _SECRET), and no token is stored.
"""

from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib import admin

for model in (SocialApp, SocialToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
