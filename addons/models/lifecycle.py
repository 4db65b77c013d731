"""The add-on lifecycle: the partner's service, each step of a resource's life, credential
rotations, and the event ids the partner's service has already used (see addons.lifecycle)."""

import uuid

from django.db import models
from django.utils import timezone

from addons.models.addon import Addon
from addons.models.resource import AddonResource
from portal.crypto import EncryptedTextField


class AddonService(models.Model):
    """Where an add-on's own service listens for lifecycle events (the HTTP provisioner).

    An add-on with a URL and a signing secret is provisioned by its service; one without is
    provisioned by the project's provisioner (ADDON_PROVISIONER, or the built-in default).
    """

    addon = models.OneToOneField(Addon, on_delete=models.CASCADE, related_name="service")
    url = models.URLField(max_length=500, blank=True)
    # HMAC-SHA256 key of every event, both ways; shown once when it is generated.
    signing_secret = EncryptedTextField(blank=True)
    secret_generated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "add-on service"

    def __str__(self):
        return f"Service of {self.addon_id}: {self.url or 'no URL'}"

    @property
    def is_configured(self) -> bool:
        """Whether events can be sent: a URL and a signing secret are both set."""
        return bool(self.url and self.signing_secret)


class LifecycleEvent(models.Model):
    """One step of a resource's life, with its time and outcome. Append-only; never a secret."""

    class Step(models.TextChoices):
        PROVISION = "provision", "Provision"
        PLAN_CHANGE = "plan_change", "Plan change"
        CONFIG_PUSH = "config_push", "Config sent to Heroku"
        HEROKU_PROVISIONED = "heroku_provisioned", "Heroku told: provisioned"
        DEPROVISION = "deprovision", "De-provision"
        HEROKU_DEPROVISIONED = "heroku_deprovisioned", "Heroku told: de-provisioned"
        CONFIG_UPDATE = "config_update", "Config update"
        ROTATION = "rotation", "Credential rotation"
        RETIREMENT = "retirement", "Old credentials retired"
        DEADLINE = "deadline", "Provisioning deadline"
        LOG_LINE = "log_line", "Line in the app's log"

    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        RETRYING = "retrying", "Retrying"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    resource = models.ForeignKey(
        AddonResource, on_delete=models.CASCADE, related_name="lifecycle_events"
    )
    step = models.CharField(max_length=30, choices=Step.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_step_display()}: {self.get_outcome_display()}"


class CredentialRotation(models.Model):
    """One rotation of a resource's credentials, from the request to the old ones' retirement."""

    class Trigger(models.TextChoices):
        CUSTOMER = "customer", "The customer, from the dashboard"
        COMPANY_USER = "company_user", "A company user, from the resource page"
        SCHEDULE = "schedule", "The rotation schedule"
        SERVICE = "service", "The add-on's service"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        WAITING_FOR_SERVICE = "waiting_for_service", "Waiting for the add-on's service"
        PUSHING = "pushing", "Sending the new config to Heroku"
        OVERLAP = "overlap", "New credentials set; old ones still valid"
        RETIRED = "retired", "Old credentials retired"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resource = models.ForeignKey(AddonResource, on_delete=models.CASCADE, related_name="rotations")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    requested_by = models.CharField(max_length=254, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    # The config version that carries the new credentials: pushed once Heroku has it.
    config_version = models.PositiveIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    pushed_at = models.DateTimeField(null=True, blank=True)
    retire_after = models.DateTimeField(null=True, blank=True, db_index=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"Rotation {self.public_id} ({self.get_status_display()})"

    @property
    def in_progress(self) -> bool:
        """Whether the rotation has not yet put its new credentials on Heroku."""
        return self.status in (
            self.Status.REQUESTED,
            self.Status.WAITING_FOR_SERVICE,
            self.Status.PUSHING,
        )


class ServiceEventReceipt(models.Model):
    """An event id the add-on's service has used on the portal's API, kept so it is not replayed."""

    addon = models.ForeignKey(Addon, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["addon", "event_id"], name="unique_service_event"),
        ]

    def __str__(self):
        return self.event_id
