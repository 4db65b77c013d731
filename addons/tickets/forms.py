"""Forms of the portal's ticket pages."""

from django import forms
from django.db.models import Case, IntegerField, Q, Value, When

from addons.models import Addon, Ticket
from addons.tickets.selectors import assignable_users

UNRESOLVED = "unresolved"
UNRESOLVED_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING)
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Ticket.Priority.values)),
    output_field=IntegerField(),
)
SORTS = {
    "newest": ("Newest first", ("-created_at", "-id")),
    "oldest": ("Oldest first", ("created_at", "id")),
    "updated": ("Recently updated", ("-updated_at", "-id")),
    "priority": ("Highest priority", ("-priority_rank", "-created_at", "-id")),
    "requester": ("Requester", ("requester_email", "-created_at", "-id")),
}


class TicketFilterForm(forms.Form):
    """Filters, search and sorting of the ticket list; every field is optional."""

    q = forms.CharField(required=False, max_length=200, label="Subject or requester")
    status = forms.ChoiceField(
        choices=[("", "Any status"), (UNRESOLVED, "Not yet solved"), *Ticket.Status.choices],
        required=False,
    )
    priority = forms.ChoiceField(
        choices=[("", "Any priority"), *Ticket.Priority.choices], required=False
    )
    assignee = forms.ChoiceField(
        choices=[("", "Anyone or nobody"), ("me", "Assigned to me"), ("nobody", "Unassigned")],
        required=False,
    )
    addon = forms.ModelChoiceField(
        queryset=Addon.objects.none(),
        required=False,
        empty_label="Any add-on",
        to_field_name="slug",
        label="Add-on",
    )
    sort = forms.ChoiceField(
        choices=[(key, label) for key, (label, _) in SORTS.items()], required=False, label="Sort"
    )

    def __init__(self, *args, addons, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["addon"].queryset = addons
        self.user = user

    def filter(self, tickets):
        """Return TICKETS narrowed to the valid filters of this form, in its order."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            tickets = tickets.filter(
                Q(subject__icontains=data["q"]) | Q(requester_email__icontains=data["q"])
            )
        if data.get("status") == UNRESOLVED:
            tickets = tickets.filter(status__in=UNRESOLVED_STATUSES)
        elif data.get("status"):
            tickets = tickets.filter(status=data["status"])
        if data.get("priority"):
            tickets = tickets.filter(priority=data["priority"])
        if data.get("assignee") == "me":
            tickets = tickets.filter(assignee=self.user)
        elif data.get("assignee") == "nobody":
            tickets = tickets.filter(assignee=None)
        if data.get("addon"):
            tickets = tickets.filter(addon=data["addon"])
        order = SORTS[data.get("sort") or "newest"][1]
        if "-priority_rank" in order:
            tickets = tickets.annotate(priority_rank=PRIORITY_RANK)
        return tickets.order_by(*order)


class TicketMessageForm(forms.Form):
    VISIBILITY_CHOICES = [
        ("public", "Public reply (emailed to the requester)"),
        ("internal", "Internal note (company users only)"),
    ]

    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 6}))
    visibility = forms.ChoiceField(
        choices=VISIBILITY_CHOICES, initial="public", widget=forms.RadioSelect
    )


class TicketChangeForm(forms.Form):
    """The ticket's status, priority and assignee, changed together."""

    status = forms.ChoiceField(choices=Ticket.Status.choices)
    priority = forms.ChoiceField(choices=Ticket.Priority.choices)
    assignee = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Nobody", label="Assignee"
    )

    def __init__(self, *args, ticket, **kwargs):
        kwargs.setdefault(
            "initial",
            {"status": ticket.status, "priority": ticket.priority, "assignee": ticket.assignee_id},
        )
        super().__init__(*args, **kwargs)
        # The company's users who handle tickets: the only people a ticket may go to.
        self.fields["assignee"].queryset = assignable_users(ticket.addon.company_id)

    @property
    def closes(self) -> bool:
        """Whether this change closes the ticket (which asks for a confirmation first)."""
        return self.is_valid() and self.cleaned_data["status"] == Ticket.Status.CLOSED
