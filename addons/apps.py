from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(sender, using, **kwargs):
    from accounts.schedules import ensure_schedules
    from addons.schedules import addon_schedules

    ensure_schedules(addon_schedules(), using=using)


class AddonsConfig(AppConfig):
    name = "addons"
    verbose_name = "Add-ons"

    def ready(self):
        from accounts.outbox import register_entitlement_check
        from addons import receivers  # noqa: F401  (connects the signal receivers)
        from addons.access import checks as access_checks  # noqa: F401  (registers the checks)
        from addons.lifecycle import checks as lifecycle_checks  # noqa: F401
        from addons.sso import checks as sso_checks  # noqa: F401
        from addons.tickets.notifications import TICKET_EVENT_KIND, recipient_still_entitled

        register_entitlement_check(TICKET_EVENT_KIND, recipient_still_entitled)
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="addons.ensure_schedules")
