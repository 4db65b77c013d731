"""The log of the calls Heroku makes to the Add-on Partner API."""

from django.db import models
from django.utils import timezone

from addons.models.addon import Addon


class PartnerAPICall(models.Model):
    """A record of one call Heroku made to the Add-on Partner API. Never holds a secret."""

    addon = models.ForeignKey(
        Addon, on_delete=models.SET_NULL, null=True, blank=True, related_name="api_calls"
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    resource_uuid = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Partner API call"

    def __str__(self):
        return f"{self.method} {self.path} → {self.status_code}"
