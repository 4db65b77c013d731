"""Operators' admin for support tickets; every change goes through addons.tickets.services."""

from django import forms
from django.contrib import admin, messages

from addons.admin.common import AddonsServiceAdminMixin, ReadOnlyInline
from addons.models import (
    Addon,
    AddonResource,
    Ticket,
    TicketEvent,
)
from addons.tickets import services
from addons.tickets.exceptions import EmptyMessageError, ResourceNotOfAddonError, TicketError


class TicketAddForm(forms.ModelForm):
    """The operator's "new ticket" form; saved through `addons.tickets.services.open_ticket`.

    It checks no rule of the service's: what `open_ticket` refuses (a resource of another add-on)
    comes back on this form as the service's own error.
    """

    body = forms.CharField(widget=forms.Textarea, help_text="The first message of the ticket.")
    escalate = forms.BooleanField(
        required=False,
        label="Escalate to the add-on's support queue now",
        help_text="Emails the company users who handle tickets.",
    )

    class Meta:
        model = Ticket
        fields = ["addon", "resource", "subject", "requester_email", "priority"]


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["created_at", "kind", "actor_email", "body", "details"]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(AddonsServiceAdminMixin, admin.ModelAdmin):
    """Operators open, escalate and change tickets here, through `addons.tickets.services`.

    What a service refuses is a form error, and nothing of the request is written.
    """

    # Its page in the portal is for company users: an operator who is not one would get a 404.
    view_on_site = False

    list_display = [
        "number",
        "subject",
        "addon",
        "status",
        "priority",
        "escalated_at",
        "created_at",
    ]
    list_filter = ["status", "priority", ("escalated_at", admin.EmptyFieldListFilter), "addon"]
    list_select_related = ["addon"]
    search_fields = ["subject", "requester_email", "=id"]
    raw_id_fields = ["resource"]
    actions = ["escalate"]
    refusal_fields = {ResourceNotOfAddonError: "resource", EmptyMessageError: "body"}
    readonly_fields = [
        "addon",
        "resource",
        "subject",
        "requester_email",
        "assignee",
        "escalated_at",
        "created_at",
        "updated_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TicketAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "addon",
                "resource",
                "subject",
                "requester_email",
                "priority",
                "body",
                "escalate",
            ]
        return [*self.readonly_fields[:4], "status", "priority", *self.readonly_fields[4:]]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return [TicketEventInline] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # the history is append-only; close a ticket instead

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)  # unsaved; save_model calls services
        data = form.cleaned_data
        return services.open_ticket(
            addon=data["addon"],
            resource=data["resource"],
            subject=data["subject"],
            body=data["body"],
            requester_email=data["requester_email"],
            priority=data["priority"],
            escalate=data["escalate"],
            actor=request.user,
            source=services.TicketSource.ADMIN,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return  # open_ticket saved it
        current = Ticket.objects.get(pk=obj.pk)
        data = form.cleaned_data
        # Priority first: a ticket being closed takes no change after that.
        if data["priority"] != current.priority:
            services.change_ticket_priority(
                ticket=current, priority=data["priority"], actor=request.user
            )
        if data["status"] != current.status:
            services.change_ticket_status(ticket=current, status=data["status"], actor=request.user)

    @admin.action(description="Escalate to support queue", permissions=["change"])
    def escalate(self, request, queryset):
        escalated, skipped = 0, []
        for ticket in queryset:
            try:
                services.escalate_ticket(ticket=ticket, actor=request.user)
            except TicketError as refusal:
                skipped.append(f"#{ticket.number}: {refusal}")
            else:
                escalated += 1
        if not skipped:
            self.message_user(request, f"Escalated {escalated} ticket(s).", messages.SUCCESS)
            return
        reasons = " ".join(skipped[:10]) + (" …" if len(skipped) > 10 else "")
        self.message_user(
            request,
            f"Escalated {escalated} ticket(s); skipped {len(skipped)}. {reasons}",
            messages.WARNING,
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "addon":
            kwargs["queryset"] = Addon.objects.select_related("company")
        if db_field.name == "resource":
            kwargs["queryset"] = AddonResource.objects.select_related("addon")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
