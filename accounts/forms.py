"""Forms of the Company tab and the admin views: they validate, services write."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.addresses import normalize_email
from accounts.models import Company, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from portal.text import validate_one_line


def permissions_field(**kwargs) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        label="Permissions",
        choices=Permission.choices,
        coerce=Permission,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=sorted(ALL_PERMISSIONS),
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
    name = forms.CharField(label="Company name", max_length=100, validators=[validate_one_line])
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
    """An email address and the rights to give: used to add a company user or to invite one."""

    email = forms.EmailField(label="Email address", max_length=254)
    permissions = permissions_field()

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])


class PermissionsForm(forms.Form):
    permissions = permissions_field()


class TicketNotificationsForm(forms.Form):
    enabled = forms.BooleanField(label="Email me about ticket events", required=False)
