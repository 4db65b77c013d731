"""Access lists: who may use a resource, their history, and the sync runs that keep them."""

from django.db import models
from django.utils import timezone

from addons.models.resource import AddonResource


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


class TeamResponse(models.Model):
    """A page of a team's member list as the Platform API last answered it, kept per team.

    Every resource of a team shares it: a run fetches each team's members once, with the ETag
    stored here (any of the team's resources' tokens may ask). `confirmed_at` is when Heroku last
    answered for it (200 or 304); an SSO re-fetch reuses a list confirmed moments ago.
    """

    team_id = models.CharField(max_length=64)
    endpoint = models.CharField(max_length=300)
    etag = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField(default=200)
    next_range = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    updated_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team_id", "endpoint"], name="unique_team_response"),
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
        WEBHOOK = "webhook", "Webhook delivery"
        PORTAL = "portal", "Sync now (resource page)"

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
    # Resources left to other runs: {"uuid", "reason", "held_by": {"run", "host", "pid", "claim"}}.
    skipped = models.PositiveIntegerField(default=0)
    skipped_resources = models.JSONField(default=list, blank=True)
    # Who ran it: the id its claims carry (AddonResource.sync_claimed_by), its host and process.
    claim_id = models.CharField(max_length=32, blank=True, db_index=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    # The circuit breaker: the lists this run compared and how many shrank (the apps of one team
    # counting as one), when it tripped the breaker, and the resources whose additions it paused.
    lists_compared = models.PositiveIntegerField(default=0)
    lists_shrunk = models.PositiveIntegerField(default=0)
    breaker_tripped_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paused = models.PositiveIntegerField(default=0)

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
