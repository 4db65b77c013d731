"""Support tickets and their history."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from addons.models.addon import Addon
from addons.models.resource import AddonResource


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

    @property
    def number(self) -> int:
        """The number people quote ("ticket #12"); the primary key, unique across add-ons."""
        return self.pk

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None


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
