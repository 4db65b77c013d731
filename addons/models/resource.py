"""Add-on resources: one installation of an add-on on a Heroku app."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from addons.models.addon import Addon, Plan
from portal.crypto import EncryptedTextField


class AddonResourceQuerySet(models.QuerySet):
    def provisioned(self):
        return self.filter(state=AddonResource.State.PROVISIONED)

    def usable_by(self, email: str):
        """Resources whose access list names EMAIL (de-provisioned ones excluded)."""
        return self.exclude(state=AddonResource.State.DEPROVISIONED).filter(
            grants__email=email.strip().lower()
        )

    def stale(self, now=None):
        """Provisioned resources whose access list is older than ACCESS_LIST_MAX_AGE."""
        now = now or timezone.now()
        cutoff = now - timezone.timedelta(seconds=settings.ACCESS_LIST_MAX_AGE)
        return self.provisioned().filter(
            models.Q(last_synced_at__isnull=True) | models.Q(last_synced_at__lt=cutoff)
        )


class AddonResource(models.Model):
    """One installation of an add-on on a Heroku app."""

    class State(models.TextChoices):
        PROVISIONING = "provisioning", "Provisioning"
        PROVISIONED = "provisioned", "Provisioned"
        # Heroku asked to de-provision; the add-on's service is still at it (the resource keeps
        # its tokens until the portal has told Heroku it finished).
        DEPROVISIONING = "deprovisioning", "De-provisioning"
        DEPROVISIONED = "deprovisioned", "De-provisioned"
        # Not provisioned within Heroku's 12 hours (Heroku removes such an add-on), or a step of
        # its provisioning failed for good; operators were alerted.
        FAILED = "failed", "Failed"

    class WaitingOn(models.TextChoices):
        """What the resource's provisioning or de-provisioning waits for (addons.lifecycle)."""

        NOTHING = "", "Nothing"
        PROVISIONER = "provisioner", "The add-on's service to answer"
        SERVICE = "service", "The add-on's service to finish"
        HEROKU = "heroku", "The portal to tell Heroku"

    class SyncStatus(models.TextChoices):
        NEVER = "never", "Never synced"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused (an answer that cannot be true)"
        PAUSED = "paused", "Additions paused (circuit breaker)"

    uuid = models.UUIDField(unique=True)
    addon = models.ForeignKey(Addon, on_delete=models.PROTECT, related_name="resources")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(max_length=255, blank=True)
    region = models.CharField(max_length=60, blank=True)
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PROVISIONING, db_index=True
    )
    app_id = models.CharField(max_length=64, blank=True)
    app_name = models.CharField(max_length=100, blank=True)
    team_id = models.CharField(max_length=64, blank=True)
    team_name = models.CharField(max_length=100, blank=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="installed_resources",
        help_text="Revoking this user never de-provisions the resource.",
    )
    config = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    callback_url = models.URLField(max_length=500, blank=True)
    # Where the portal writes lines into the app's log (Logplex HTTP input); the URL carries
    # Logplex credentials, so it is encrypted like the drain token.
    log_input_url = EncryptedTextField(blank=True)
    log_drain_token = EncryptedTextField(blank=True)
    # The add-on lifecycle (addons.lifecycle): what an asynchronous step waits for, a plan change
    # that arrived while provisioning was pending, and the config versions stored and sent.
    waiting_on = models.CharField(
        max_length=20, choices=WaitingOn.choices, default=WaitingOn.NOTHING, blank=True
    )
    plan_change_queued = models.BooleanField(default=False)
    config_version = models.PositiveIntegerField(default=0)
    config_pushed_version = models.PositiveIntegerField(default=0)
    # A lease held by the task that is telling Heroku about this resource (see addons.lifecycle).
    lifecycle_lease_until = models.DateTimeField(null=True, blank=True)
    lifecycle_error = models.TextField(blank=True)
    provisioned_at = models.DateTimeField(null=True, blank=True)
    credentials_issued_at = models.DateTimeField(null=True, blank=True)
    # OAuth tokens for this resource's own Platform API calls, encrypted at rest.
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # The provisioning grant, kept only until it has been exchanged for tokens.
    grant_code = EncryptedTextField(blank=True)
    grant_expires_at = models.DateTimeField(null=True, blank=True)
    grant_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sync_status = models.CharField(
        max_length=10, choices=SyncStatus.choices, default=SyncStatus.NEVER, db_index=True
    )
    sync_error = models.TextField(blank=True)
    # A lease that keeps two sync runs from syncing this resource at the same time: a run claims
    # it with a conditional UPDATE and releases it when it writes the result.
    sync_claimed_by = models.CharField(max_length=32, blank=True)
    sync_claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deprovisioned_at = models.DateTimeField(null=True, blank=True)

    objects = AddonResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name or str(self.uuid)

    @property
    def config_push_outstanding(self) -> bool:
        """Whether the stored config holds changes that Heroku has not been sent yet."""
        return self.config_version > self.config_pushed_version

    def access_list_is_fresh(self, now=None) -> bool:
        if self.last_synced_at is None:
            return False
        now = now or timezone.now()
        return (now - self.last_synced_at).total_seconds() <= settings.ACCESS_LIST_MAX_AGE
