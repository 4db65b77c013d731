"""Add-ons and their plans: the manifest a company keeps in the portal."""

import hashlib
import hmac
import secrets

from django.db import models
from django.urls import reverse

from accounts.models import Company
from portal.crypto import EncryptedTextField


def generate_secret() -> str:
    """Return a 32-character random secret, as Heroku generates for manifests."""
    return secrets.token_urlsafe(24)[:32]


def default_regions() -> list[str]:
    """Return the regions of a new add-on: us, without which Heroku refuses the manifest."""
    return ["us"]


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
    # The manifest's `test` block; empty means the production URL (e.g. a staging portal's).
    test_base_url = models.URLField(
        blank=True, help_text="The test block's base_url; empty: the production one."
    )
    test_sso_url = models.URLField(
        blank=True, help_text="The test block's sso_url; empty: the production one."
    )
    regions = models.JSONField(default=default_regions, blank=True)
    requires = models.JSONField(default=list, blank=True)
    cli_plugin_name = models.CharField(max_length=214, blank=True)
    # `$base` of the last imported manifest: Heroku's version of it, which a push compares.
    manifest_base = models.JSONField(null=True, blank=True)
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

    @property
    def effective_config_vars_prefix(self) -> str:
        """The config var prefix in effect: the manifest's own, or the id upper-cased, - as _."""
        return self.config_vars_prefix or self.slug.upper().replace("-", "_")

    def set_intake_token(self, token: str) -> None:
        self.intake_token_hash = hashlib.sha256(token.encode()).hexdigest()

    def intake_token_matches(self, token: str) -> bool:
        """Whether TOKEN is this add-on's intake token, compared in constant time."""
        given = hashlib.sha256(token.encode()).hexdigest()
        # An add-on without a token accepts none; compare anyway so that the timing is the same.
        expected = self.intake_token_hash or "0" * 64
        return hmac.compare_digest(given, expected) and bool(self.intake_token_hash)


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
