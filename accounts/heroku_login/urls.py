from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from accounts.heroku_login.provider import HerokuProvider

# accounts/heroku/login/ (starts the login) and accounts/heroku/login/callback/ (Heroku's redirect).
urlpatterns = default_urlpatterns(HerokuProvider)
