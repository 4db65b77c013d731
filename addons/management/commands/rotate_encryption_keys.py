"""Re-encrypt every stored secret with the first FIELD_ENCRYPTION_KEY."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.crypto import EncryptedTextField

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (tokens, manifest passwords, SSO salts, OAuth client "
        "secrets) with the first key of FIELD_ENCRYPTION_KEY, so that older keys can then be "
        "dropped. See docs/operations.md."
    )

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = [
                f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
            ]
            if names:
                count = self.rotate_model(model, names)
                total += count
                self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"{total} rows re-encrypted with the first key."))

    def rotate_model(self, model, names: list[str]) -> int:
        """Re-encrypt the NAMES fields of every MODEL row, chunk by chunk; return the row count.

        Loading decrypts with whichever configured key matches; saving encrypts with the first.
        Each chunk is read and written in one transaction with its rows locked, so that a secret
        written meanwhile (a sync refreshing a resource's tokens) is not overwritten with the
        value read before it.
        """
        manager = model._base_manager
        count, last_pk = 0, 0
        while True:
            with transaction.atomic():
                chunk = list(
                    manager.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", *names)[:CHUNK]
                )
                if not chunk:
                    return count
                manager.bulk_update(chunk, names)
            count += len(chunk)
            last_pk = chunk[-1].pk
