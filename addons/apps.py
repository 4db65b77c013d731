from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def install_sync_schedule(sender, using="default", **kwargs):
    """Keep the "sync_access" schedule in step with SYNC_INTERVAL after every migrate."""
    from django_q.models import Schedule

    from addons.tasks import ensure_sync_schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return  # django_q is not migrated yet (e.g. `migrate addons` alone)
    ensure_sync_schedule()


class AddonsConfig(AppConfig):
    name = "addons"
    verbose_name = "Add-ons"

    def ready(self):
        from addons import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(
            install_sync_schedule, sender=self, dispatch_uid="addons.install_sync_schedule"
        )
