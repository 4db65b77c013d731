import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Company
from portal.crypto import EncryptedTextField


def generate_secret() -> str:
    """Return a 32-character random secret, as Heroku generates for manifests."""
    return secrets.token_urlsafe(24)[:32]


class Addon(models.Model):
    """An add-on's manifest, owned by one company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="addons")
    slug = models.SlugField(
        max_length=60, unique=True, help_text="The manifest id, also the Partner API username."
    )
    name = models.CharField(max_length=100)
    api_password = EncryptedTextField(default=generate_secret)
    sso_salt = EncryptedTextField(default=generate_secret)
    base_url = models.URLField(blank=True, help_text="Where Heroku sends Partner API calls.")
    sso_url = models.URLField(blank=True, help_text="Where Heroku posts Add-on SSO logins.")
    regions = models.JSONField(default=list, blank=True)
    config_vars_prefix = models.CharField(max_length=40, blank=True)
    config_vars = models.JSONField(default=list, blank=True)
    oauth_client_secret = EncryptedTextField(blank=True)
    # A hash of the token the support tool uses to post tickets; the token itself is never stored.
    intake_token_hash = models.CharField(max_length=64, blank=True)
    marketing_description = models.TextField(blank=True)
    billing_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("addons:detail", args=[self.slug])

    def set_intake_token(self, token: str) -> None:
        self.intake_token_hash = hashlib.sha256(token.encode()).hexdigest()


class Plan(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        HIDDEN = "hidden", "Hidden"

    addon = models.ForeignKey(Addon, on_delete=models.CASCADE, related_name="plans")
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=100)
    price_cents = models.PositiveIntegerField(default=0)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["addon", "slug"], name="unique_plan_slug"),
        ]
        ordering = ["price_cents", "slug"]

    def __str__(self):
        return f"{self.addon.slug}:{self.slug}"


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
        DEPROVISIONED = "deprovisioned", "De-provisioned"

    class SyncStatus(models.TextChoices):
        NEVER = "never", "Never synced"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused (suspicious result)"

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

    def access_list_is_fresh(self, now=None) -> bool:
        if self.last_synced_at is None:
            return False
        now = now or timezone.now()
        return (now - self.last_synced_at).total_seconds() <= settings.ACCESS_LIST_MAX_AGE


class AccessGrant(models.Model):
    """One person who may use a resource, and why."""

    class Source(models.TextChoices):
        COLLABORATOR = "collaborator", "Collaborator"
        TEAM_MEMBER = "team_member", "Team member"

    resource = models.ForeignKey(AddonResource, on_delete=models.CASCADE, related_name="grants")
    email = models.EmailField(max_length=254)
    heroku_user_id = models.CharField(max_length=64, blank=True, db_index=True)
    sources = models.JSONField(default=list)
    role = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "email"], name="unique_grant_email"),
        ]
        indexes = [models.Index(fields=["email"])]
        ordering = ["email"]

    def __str__(self):
        return f"{self.email} on {self.resource_id}"


class PlatformResponse(models.Model):
    """A Platform API response stored for one resource and endpoint, for conditional requests.

    The next sync sends its ETag in If-None-Match; a 304 reuses the body. `endpoint` is the path
    and, for a page of a list, the Range asked for.
    """

    resource = models.ForeignKey(
        AddonResource, on_delete=models.CASCADE, related_name="platform_responses"
    )
    endpoint = models.CharField(max_length=300)
    etag = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField(default=200)
    next_range = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "endpoint"], name="unique_platform_response"
            ),
        ]

    def __str__(self):
        return f"{self.endpoint} ({self.etag})"


class SyncRun(models.Model):
    """One reconciliation of access lists, by whatever triggered it."""

    class Trigger(models.TextChoices):
        CRON = "cron", "Command line / cron"
        SCHEDULE = "schedule", "django-q2 schedule"
        ADMIN = "admin", "Admin"
        SSO = "sso", "SSO re-fetch"
        PROVISION = "provision", "Provisioning"

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    dry_run = models.BooleanField(default=False)
    resources = models.PositiveIntegerField(default=0)
    synced = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Sync run {self.pk} ({self.trigger}) at {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class AccessChange(models.Model):
    """History: one person added to or removed from a resource's access list."""

    class Change(models.TextChoices):
        ADDED = "added", "Added"
        REMOVED = "removed", "Removed"

    resource = models.ForeignKey(AddonResource, on_delete=models.CASCADE, related_name="changes")
    email = models.EmailField(max_length=254)
    change = models.CharField(max_length=10, choices=Change.choices)
    sync_run = models.ForeignKey(
        SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.email} {self.change}"


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


class Ticket(models.Model):
    """A support ticket about an add-on, optionally about one of its resources."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    addon = models.ForeignKey(Addon, on_delete=models.CASCADE, related_name="tickets")
    resource = models.ForeignKey(
        AddonResource, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    subject = models.CharField(max_length=200)
    requester_email = models.EmailField(max_length=254)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self):
        return reverse("addons:ticket-detail", args=[self.pk])


class TicketEvent(models.Model):
    """Append-only history of a ticket."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        ESCALATED = "escalated", "Escalated to the add-on's support queue"
        PUBLIC_REPLY = "public_reply", "Public reply"
        INTERNAL_NOTE = "internal_note", "Internal note"
        STATUS_CHANGED = "status_changed", "Status changed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        ASSIGNED = "assigned", "Assigned"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_email = models.EmailField(max_length=254, blank=True)
    body = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} on #{self.ticket_id}"


class UsedSSOToken(models.Model):
    """A hash of an SSO token already used, so that it cannot be replayed."""

    token_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "used SSO token"

    def __str__(self):
        return self.token_hash[:12]
