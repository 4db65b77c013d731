"""Add-on SSO: tokens already used, kept so that none is replayed."""

from django.db import models
from django.utils import timezone


class UsedSSOToken(models.Model):
    """A hash of an SSO token already used, so that it cannot be replayed."""

    token_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "used SSO token"

    def __str__(self):
        return self.token_hash[:12]
