"""Forms of the Company tab and the admin views: they validate, services write."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.addresses import normalize_email
from accounts.models import Company, User
from accounts.permissions import ALL_PERMISSIONS, Permission

GRANT_HELP = (
    "You can grant only rights you hold yourself: the others are shown, but cannot be ticked."
)
OWN_HELP = "You can remove your own rights, never add any: the others cannot be ticked."


class RightsCheckboxes(forms.CheckboxSelectMultiple):
    """The six rights as checkboxes; those not in OFFERED are shown disabled."""

    def __init__(self, *args, offered=ALL_PERMISSIONS, **kwargs):
        super().__init__(*args, **kwargs)
        self.offered = frozenset(offered)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if Permission(value) not in self.offered:
            option["attrs"]["disabled"] = True
        return option


def permissions_field(*, offered=ALL_PERMISSIONS, own=False, **kwargs):
    """The rights field: the rights the acting person may not tick are shown disabled, with why.

    It checks nothing about who may grant what: the services do, and refuse a tampered form.
    """
    offered = frozenset(offered)
    help_text = OWN_HELP if own else (GRANT_HELP if offered != ALL_PERMISSIONS else "")
    kwargs.setdefault("initial", sorted(offered))
    return forms.TypedMultipleChoiceField(
        label="Permissions",
        choices=Permission.choices,
        coerce=Permission,
        widget=RightsCheckboxes(offered=offered),
        required=False,
        help_text=help_text,
        **kwargs,
    )


class SignupForm(UserCreationForm):
    """Sign up with an email address (the login) and a password."""

    class Meta:
        model = User
        fields = ("email", "name")

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class CompanyForm(forms.Form):
    name = forms.CharField(label="Company name", max_length=100)
    slug = forms.SlugField(
        label="Short name (used in links)",
        max_length=60,
        help_text="Lower-case letters, digits and hyphens, e.g. acme.",
    )

    def clean_slug(self):
        slug = self.cleaned_data["slug"].lower()
        if Company.objects.filter(slug=slug).exists():
            raise forms.ValidationError("That short name is taken; choose another.")
        return slug


class CompanyUserForm(forms.Form):
    """An email address and the rights to give: used to add a company user or to invite one.

    OFFERED: the rights the acting person may give (default: all, for operators).
    """

    email = forms.EmailField(label="Email address", max_length=254)

    def __init__(self, *args, offered=ALL_PERMISSIONS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"] = permissions_field(offered=offered)

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])


class PermissionsForm(forms.Form):
    """A company user's rights. OFFERED: those the acting person may tick; OWN: their own."""

    def __init__(self, *args, offered=ALL_PERMISSIONS, own=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"] = permissions_field(offered=offered, own=own, initial=None)


class TicketNotificationsForm(forms.Form):
    enabled = forms.BooleanField(label="Email me about ticket events", required=False)
