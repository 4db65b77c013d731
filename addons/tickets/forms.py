"""Forms of the portal's ticket pages."""

from django import forms

from addons.models import Addon, Ticket
from addons.tickets.selectors import assignable_users


class TicketFilterForm(forms.Form):
    """Filters of the ticket list; every field is optional."""

    status = forms.ChoiceField(choices=[("", "Any status"), *Ticket.Status.choices], required=False)
    priority = forms.ChoiceField(
        choices=[("", "Any priority"), *Ticket.Priority.choices], required=False
    )
    addon = forms.ModelChoiceField(
        queryset=Addon.objects.none(),
        required=False,
        empty_label="Any add-on",
        to_field_name="slug",
        label="Add-on",
    )

    def __init__(self, *args, addons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["addon"].queryset = addons

    def filter(self, tickets):
        """Return TICKETS narrowed to the valid filters of this form."""
        if not self.is_valid():
            return tickets
        data = self.cleaned_data
        if data["status"]:
            tickets = tickets.filter(status=data["status"])
        if data["priority"]:
            tickets = tickets.filter(priority=data["priority"])
        if data["addon"]:
            tickets = tickets.filter(addon=data["addon"])
        return tickets


class TicketMessageForm(forms.Form):
    VISIBILITY_CHOICES = [
        ("public", "Public reply (emailed to the requester)"),
        ("internal", "Internal note (company users only)"),
    ]

    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 6}))
    visibility = forms.ChoiceField(
        choices=VISIBILITY_CHOICES, initial="public", widget=forms.RadioSelect
    )


class TicketStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Ticket.Status.choices)


class TicketPriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Ticket.Priority.choices)


class TicketAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Nobody", label="Assignee"
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        # The company's users who handle tickets: the only people a ticket may go to.
        self.fields["assignee"].queryset = assignable_users(ticket.addon.company_id)
