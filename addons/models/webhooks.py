"""Add-on webhook subscriptions: how Heroku tells the portal of collaborator and app changes."""

import uuid

from django.db import models

from addons.models.resource import AddonResource
from portal.crypto import EncryptedTextField


class WebhookSubscriptionQuerySet(models.QuerySet):
    def healthy(self):
        """Subscriptions that Heroku holds and that deliver (active ones)."""
        return self.filter(status=WebhookSubscription.Status.ACTIVE)

    def wanted(self):
        """Subscriptions still to make or to make again: pending, or failed for a passing reason."""
        return self.filter(
            status__in=[WebhookSubscription.Status.PENDING, WebhookSubscription.Status.FAILED]
        )


class WebhookSubscription(models.Model):
    """One resource's add-on webhook subscription on Heroku, and the secrets that prove its
    deliveries.

    The receiver's URL names the subscription by `public_id` (never the primary key), checks the
    delivery's `Authorization` against `authorization` and its HMAC against `secret`; both are
    generated per subscription and stored encrypted. A resource without an active subscription is
    kept fresh by the schedule alone.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending (to subscribe)"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed (retried; the schedule keeps the list fresh)"
        REFUSED = "refused", "Refused by Heroku (the schedule keeps the list fresh)"
        # The resource was de-provisioned: the subscription is being removed from Heroku, and no
        # delivery is accepted any more.
        RETIRING = "retiring", "Being removed"
        REMOVED = "removed", "Removed"

    resource = models.OneToOneField(
        AddonResource, on_delete=models.CASCADE, related_name="webhook_subscription"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    heroku_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    include = models.JSONField(default=list, blank=True)
    authorization = EncryptedTextField(blank=True)
    secret = EncryptedTextField(blank=True)
    # The de-provisioned resource's token, kept (encrypted) only until its subscription is removed.
    retire_token = EncryptedTextField(blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    subscribed_at = models.DateTimeField(null=True, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    def __str__(self):
        return f"webhook of {self.resource_id} ({self.status})"

    @property
    def healthy(self) -> bool:
        return self.status == self.Status.ACTIVE


class WebhookDelivery(models.Model):
    """A delivery the receiver accepted: its ids make a replay or a repeated event a no-op."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.CharField(max_length=64, unique=True)
    event_id = models.CharField(max_length=64)
    attempt_id = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=40)
    action = models.CharField(max_length=20)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="unique_webhook_event"
            ),
        ]

    def __str__(self):
        return f"{self.resource_type} {self.action} ({self.delivery_id})"
