"""Forms of sign-up, the Company tab and the admin views: they validate, services write.

Every field where a person types an e-mail address is an `EmailAddressField`: look-alike
characters are refused by name, and the address is cleaned to the one form it is stored and
compared in (accounts.addresses).
"""

from datetime import timedelta

from allauth.account import forms as allauth_forms
from django import forms
from django.conf import settings

from accounts.addresses import normalize_email, validate_email_address
from accounts.models import Company
from accounts.permissions import (
    ALL_PERMISSIONS,
    DEFAULT_PRESET,
    PRESET_RIGHTS,
    Permission,
    Preset,
)
from portal.text import validate_one_line

GRANT_HELP = (
    "You can grant only rights you hold yourself: the others are shown, but cannot be ticked."
)
OWN_HELP = "You can remove your own rights, never add any: the others cannot be ticked."


class EmailAddressField(forms.EmailField):
    """An e-mail address, cleaned to the portal's one form; invisible characters refused by name."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_email(value) if value else value

    def run_validators(self, value):
        if value in self.empty_values:
            return
        # First and alone: "contains U+200B" says more than "Enter a valid email address".
        validate_email_address(value)
        super().run_validators(value)


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


class SignupForm(allauth_forms.SignupForm):
    """Sign up with an e-mail address (the login), a name and a password (django-allauth's form).

    The account cannot log in until the address is verified by the link sign-up e-mails.
    """

    name = forms.CharField(label="Name", max_length=150, required=False)
    field_order = ["email", "name", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allauth_email = self.fields["email"]
        self.fields["email"] = EmailAddressField(
            label="Email", max_length=254, widget=allauth_email.widget
        )
        self.fields["password2"].label = "Password confirmation"


class LoginForm(allauth_forms.LoginForm):
    """Log in with an e-mail address, compared in its one stored form, and a password."""

    def clean_login(self):
        return normalize_email(super().clean_login())


class AddEmailForm(allauth_forms.AddEmailForm):
    """Change one's address to another; it takes effect once verified."""

    email = EmailAddressField(label="New e-mail address", max_length=254)


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    """Ask for a password reset link; the answer never says whether the address has an account."""

    email = EmailAddressField(label="Email", max_length=254)

    def clean_email(self):
        # allauth refuses an unknown address when ACCOUNT_PREVENT_ENUMERATION is off (it is, for
        # the sign-up page's sake); here the page answers the same either way, and only an
        # address with an account is e-mailed.
        from allauth.account.internal.userkit import filter_users_by_email

        email = self.cleaned_data["email"]
        self.users = filter_users_by_email(
            email, is_active=True, prefer_verified=True, for_login=True
        )
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


CUSTOM = "custom"
NO_RIGHTS_ERROR = (
    "Choose at least one right: a company user with none sees only the company's home. "
    "To do it anyway, tick “yes, with no rights”."
)


def preset_label(preset: Preset) -> str:
    if PRESET_RIGHTS[preset] == ALL_PERMISSIONS:
        return f"{preset.label}: every right, adding and removing company users included"
    held = [p.label for p in Permission if p in PRESET_RIGHTS[preset]]
    return f"{preset.label}: " + ", ".join(label[0].lower() + label[1:] for label in held)


class NoRightsConfirmationMixin:
    """Refuse a company user with no rights unless the form's sender ticked that they mean it."""

    def add_no_rights_field(self):
        self.fields["no_rights"] = forms.BooleanField(label="Yes, with no rights", required=False)

    def check_rights(self, rights) -> None:
        if not rights and not self.cleaned_data.get("no_rights"):
            self.add_error("permissions", NO_RIGHTS_ERROR)


class CompanyUserForm(NoRightsConfirmationMixin, forms.Form):
    """An email address and the rights to give: used to add a company user or to invite one.

    The rights come from a preset (Support by default), or from the checkboxes with "Choose the
    rights below". OFFERED: the rights the acting person may give (default: all, for
    operators); a preset that needs a right they lack is not offered.
    """

    email = EmailAddressField(label="Email address", max_length=254)

    def __init__(self, *args, offered=ALL_PERMISSIONS, **kwargs):
        super().__init__(*args, **kwargs)
        offered = frozenset(offered)
        presets = [p for p in Preset if PRESET_RIGHTS[p] <= offered]
        self.fields["preset"] = forms.ChoiceField(
            label="Rights",
            choices=[(p.value, preset_label(p)) for p in presets]
            + [(CUSTOM, "Choose the rights below")],
            initial=DEFAULT_PRESET.value if DEFAULT_PRESET in presets else CUSTOM,
            required=False,
            widget=forms.RadioSelect,
            help_text=f"The default, {DEFAULT_PRESET.label}, lets them answer support tickets "
            "and nothing else. Rights can be changed at any time.",
        )
        self.fields["permissions"] = permissions_field(offered=offered, initial=[])
        self.fields["permissions"].label = "Rights, when you choose them"
        self.add_no_rights_field()

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset") or CUSTOM
        if preset != CUSTOM:
            ticked = cleaned.get("permissions")
            if ticked and frozenset(ticked) != PRESET_RIGHTS[Preset(preset)]:
                self.add_error(
                    "preset", "You ticked rights: choose “Choose the rights below” to give those."
                )
            cleaned["permissions"] = PRESET_RIGHTS[Preset(preset)]
        elif "permissions" in cleaned:
            self.check_rights(cleaned["permissions"])
        return cleaned


class InvitationForm(CompanyUserForm):
    """An invitation: CompanyUserForm, and how long its link works."""

    EXPIRY_DAYS = (1, 3, 7, 14, 30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = settings.INVITATION_MAX_AGE_DAYS
        days = sorted({*self.EXPIRY_DAYS, default})
        self.fields["expires_in_days"] = forms.TypedChoiceField(
            label="The link works for",
            choices=[(d, f"{d} day{'s' if d != 1 else ''}") for d in days],
            coerce=int,
            initial=default,
            required=False,
            empty_value=default,
        )

    @property
    def valid_for(self) -> timedelta:
        days = self.cleaned_data.get("expires_in_days") or settings.INVITATION_MAX_AGE_DAYS
        return timedelta(days=days)


class PermissionsForm(NoRightsConfirmationMixin, forms.Form):
    """A company user's rights. OFFERED: those the acting person may tick; OWN: their own."""

    def __init__(self, *args, offered=ALL_PERMISSIONS, own=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"] = permissions_field(offered=offered, own=own, initial=None)
        self.add_no_rights_field()

    def clean(self):
        cleaned = super().clean()
        if "permissions" in cleaned:
            self.check_rights(cleaned["permissions"])
        return cleaned


class TicketNotificationsForm(forms.Form):
    enabled = forms.BooleanField(label="Email me about ticket events", required=False)
