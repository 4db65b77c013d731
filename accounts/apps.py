from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(sender, using, **kwargs):
    from accounts.schedules import ensure_schedules, outbox_schedules

    ensure_schedules(outbox_schedules(), using=using)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Companies and users"

    def ready(self):
        post_migrate.connect(
            _ensure_schedules, sender=self, dispatch_uid="accounts.ensure_schedules"
        )
