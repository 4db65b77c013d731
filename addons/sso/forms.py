"""Forms of Add-on SSO and the resource dashboard."""

from django import forms
from django.core.validators import RegexValidator

from accounts.addresses import validate_email_address
from addons.sso.tokens import SSORequest
from portal.text import validate_one_line

UUID_PATTERN = r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"


class SSOLoginForm(forms.Form):
    """The form Heroku posts to /sso/login.

    Values are kept exactly as sent (no stripping), because the token signs them as sent. The shapes
    are strict where the token's input must be unambiguous: a user id without ":" cannot shift
    characters between itself and the email that follows it in the signed string.
    """

    resource_id = forms.RegexField(UUID_PATTERN, strip=False)
    timestamp = forms.RegexField(r"\A[0-9]{1,12}\Z", strip=False)
    user_id = forms.RegexField(r"\A[A-Za-z0-9._-]{1,64}\Z", strip=False)
    # Heroku's address, as signed: no invisible or format character (accounts.addresses).
    email = forms.RegexField(
        r"\A[^\s@]+@[^\s@]+\Z",
        max_length=254,
        strip=False,
        validators=[validate_email_address],
    )
    user_scoped_resource_token = forms.RegexField(r"\A[0-9a-f]{64}\Z", required=False, strip=False)
    resource_token = forms.RegexField(r"\A[0-9a-f]{40}\Z", required=False, strip=False)
    app = forms.CharField(
        max_length=255, required=False, strip=False, validators=[validate_one_line]
    )
    context_app = forms.CharField(
        max_length=255, required=False, strip=False, validators=[validate_one_line]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Heroku's field name has a hyphen, so it cannot be declared as a class attribute. Its
        # value goes into a cookie, so only the base64/JWT alphabet is accepted, and no more than
        # fits in one (browsers drop cookies over 4,096 bytes, name and attributes included).
        self.fields["nav-data"] = forms.CharField(
            max_length=3800,
            required=False,
            strip=False,
            validators=[RegexValidator(r"\A[A-Za-z0-9+/=._-]*\Z")],
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("user_scoped_resource_token") and not cleaned.get("resource_token"):
            raise forms.ValidationError("No token was sent.")
        return cleaned

    def to_sso_request(self) -> SSORequest:
        """Return the validated fields as an SSORequest."""
        data = self.cleaned_data
        return SSORequest(
            resource_id=data["resource_id"],
            timestamp=data["timestamp"],
            user_id=data["user_id"],
            email=data["email"],
            user_scoped_resource_token=data["user_scoped_resource_token"],
            resource_token=data["resource_token"],
            nav_data=data["nav-data"],
        )


class DashboardTicketForm(forms.Form):
    """A support ticket opened from the resource dashboard."""

    subject = forms.CharField(max_length=200, validators=[validate_one_line])
    body = forms.CharField(widget=forms.Textarea, max_length=20000)
