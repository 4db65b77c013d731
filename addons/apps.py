from django.apps import AppConfig


class AddonsConfig(AppConfig):
    name = "addons"
    verbose_name = "Add-ons"

    def ready(self):
        from addons import checks  # noqa: F401  (registers the system checks)
