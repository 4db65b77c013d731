from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.addresses import normalize_email
from accounts.permissions import ALL_PERMISSIONS, Permission, bit, from_mask, to_mask


class PermissionsField(models.PositiveIntegerField):
    """A set of `Permission` values, stored as a bitmask so that it can be filtered in SQL."""

    description = "A set of company-user permissions"

    @cached_property
    def validators(self):
        # The column's integer range validators would compare the frozenset with an int.
        return list(self._validators)

    def from_db_value(self, value, expression, connection):
        return None if value is None else from_mask(value)

    def to_python(self, value):
        if value is None or isinstance(value, frozenset):
            return value
        if isinstance(value, int):
            return from_mask(value)
        return frozenset(Permission(v) for v in value)

    def get_prep_value(self, value):
        if value is None or isinstance(value, int):
            return value
        return to_mask(value)

    def value_to_string(self, obj):
        return str(self.get_prep_value(self.value_from_object(obj)))

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=Permission.choices,
            coerce=Permission,
            widget=forms.CheckboxSelectMultiple,
            required=False,
            label=kwargs.get("label", self.verbose_name.capitalize()),
            help_text=self.help_text,
            initial=sorted(ALL_PERMISSIONS),
        )


def all_permissions() -> int:
    return to_mask(ALL_PERMISSIONS)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # No stored address is longer than the field; and SQLite refuses a LIKE pattern (iexact)
        # over 50,000 bytes, which made a 70,000-character log-in name a 500.
        if len(username) > self.model._meta.get_field("email").max_length:
            raise self.model.DoesNotExist
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The email address is the login, unique regardless of case."""

    email = models.EmailField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Operators: may log in to the Django admin."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    joined_provider_program_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text='Set when the person clicks "Join the Provider Program".',
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email

    @property
    def has_joined_provider_program(self) -> bool:
        return self.joined_provider_program_at is not None


class Company(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("accounts:company-users", args=[self.slug])


class CompanyUserQuerySet(models.QuerySet):
    def for_company(self, company):
        return self.filter(company=company)

    def with_permission(self, permission):
        """Company users who hold PERMISSION."""
        mask = bit(permission)
        return self.alias(_held=F("permissions").bitand(mask)).filter(_held=mask)

    def managers(self):
        return self.with_permission(Permission.MANAGE_COMPANY_USERS)


class CompanyUser(models.Model):
    """A person's membership of a company, with the rights they hold there."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    permissions = PermissionsField(default=all_permissions)
    notify_on_ticket_events = models.BooleanField(
        default=True, help_text="Email me when a support ticket of this company changes."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyUserQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "user"], name="unique_company_user"),
        ]
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.user} at {self.company}"

    def has_permission(self, permission) -> bool:
        return Permission(permission) in self.permissions


# Neither accepted nor cancelled: the invitation holds its address's one open slot at its company,
# expired or not (the constraint below). It is *pending* while, moreover, it has not expired.
UNANSWERED = Q(accepted_at__isnull=True, cancelled_at__isnull=True)


class InvitationQuerySet(models.QuerySet):
    def unanswered(self):
        """Invitations neither accepted nor cancelled, expired ones included."""
        return self.filter(UNANSWERED)

    def pending(self):
        """Invitations whose link can still be accepted: unanswered and not expired."""
        return self.unanswered().filter(expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A pending invitation for an email address that has no provider account yet."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        EXPIRED = "expired", "Expired"
        ACCEPTED = "accepted", "Accepted"
        CANCELLED = "cancelled", "Cancelled"

    class SentAs(models.TextChoices):
        """In which capacity `invited_by` sent the invitation: acceptance re-checks that one."""

        COMPANY_USER = "company_user", "Company user"
        OPERATOR = "operator", "Operator"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    permissions = PermissionsField(default=all_permissions)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_as = models.CharField(
        max_length=20,
        choices=SentAs.choices,
        default=SentAs.COMPANY_USER,
        help_text="A company user's invitation is accepted only while they still hold every "
        "right it grants; an operator's, while they may still add company users.",
    )
    # A random nonce in the signed token: resending replaces it, which voids older links.
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        constraints = [
            # One open invitation per address and company.
            models.UniqueConstraint(
                "company",
                Lower("email"),
                condition=UNANSWERED,
                name="unique_open_invitation",
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation of {self.email} to {self.company}"

    @property
    def state(self) -> State:
        """Where the invitation stands: accepted, cancelled, expired, or pending (usable)."""
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.cancelled_at is not None:
            return self.State.CANCELLED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING


class AuditEvent(models.Model):
    """An append-only record of a change to a company, its users, its add-ons or their secrets.

    The rows belong to their company and are deleted with it; `accounts.services.delete_company`
    says where the record of a company's deletion is kept.
    """

    class Action(models.TextChoices):
        COMPANY_CREATED = "company_created", "Company created"
        COMPANY_RENAMED = "company_renamed", "Company renamed"
        USER_ADDED = "user_added", "User added"
        USER_REVOKED = "user_revoked", "User revoked"
        PERMISSIONS_CHANGED = "permissions_changed", "Permissions changed"
        NOTIFICATIONS_CHANGED = "notifications_changed", "Notification setting changed"
        INVITATION_SENT = "invitation_sent", "Invitation sent"
        INVITATION_RESENT = "invitation_resent", "Invitation resent"
        INVITATION_CANCELLED = "invitation_cancelled", "Invitation cancelled"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        MANIFEST_UPDATED = "manifest_updated", "Manifest updated"
        MANIFEST_EXPORTED = "manifest_exported", "Manifest exported (password and salt shown)"
        OAUTH_SECRET_REVEALED = "oauth_secret_revealed", "OAuth secret revealed"
        OAUTH_SECRET_RESET = "oauth_secret_reset", "OAuth secret reset"
        ADDON_SETTINGS_CHANGED = "addon_settings_changed", "Add-on settings changed"
        ADDON_CREATED = "addon_created", "Add-on created"
        ADDON_DELETED = "addon_deleted", "Add-on deleted"
        PLAN_CREATED = "plan_created", "Plan created"
        PLAN_CHANGED = "plan_changed", "Plan changed"
        PLAN_DELETED = "plan_deleted", "Plan deleted"
        SERVICE_CHANGED = "addon_service_changed", "Add-on service URL changed"
        SERVICE_SECRET_GENERATED = "service_secret_generated", "Add-on service secret generated"
        CONFIG_UPDATED = "resource_config_updated", "Resource config updated"
        CREDENTIALS_ROTATED = "credentials_rotated", "Credential rotation requested"
        CREDENTIALS_RETIRED = "credentials_retired", "Old credentials retired"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    target = models.CharField(max_length=254, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.target}"


class Notification(models.Model):
    """One email to one recipient, written in the same transaction as the change it reports.

    The outbox: a django-q2 task sends pending rows after commit, claiming each row first so that
    it is sent at most once; a periodic task picks up whatever is left.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    email = models.EmailField(max_length=254)
    kind = models.CharField(max_length=40)
    # What the notification is about, so that one event never mails one address twice.
    dedupe_key = models.CharField(max_length=120)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key", "email"], name="unique_notification"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.subject} to {self.email}"
