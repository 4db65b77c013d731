from django.apps import AppConfig


class HerokuLoginConfig(AppConfig):
    """An app of its own because django-allauth finds providers in each app's `provider` module."""

    name = "accounts.heroku_login"
    label = "heroku_login"
    verbose_name = "Log in with Heroku"
