"""How django-allauth meets the portal: addresses in one form, links from SITE_URL, names kept.

allauth runs sign-up, verification, login, logout and password reset and change (settings,
"ACCOUNT_*"); this adapter is where the portal's own rules enter those flows.
"""

from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse

from accounts import throttling
from accounts.addresses import normalize_email, validate_email_address

TAKEN = "An account with this email address already exists."


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_taken": TAKEN,
        "email_password_mismatch": "The email address or password is not correct.",
    }

    def clean_email(self, email: str) -> str:
        """Refuse look-alike characters by name; return the address in its one stored form."""
        validate_email_address(email)
        return normalize_email(email)

    def save_user(self, request, user, form, commit=True):
        user.name = form.cleaned_data.get("name", "") or ""
        return super().save_user(request, user, form, commit=commit)

    def get_client_ip(self, request) -> str:
        # One reading of the client address for every limit (django-axes, invitation links and
        # allauth's own rate limits): behind TRUSTED_PROXY_COUNT proxies.
        return throttling.client_ip(request)

    # Links in e-mails are built from SITE_URL, like every other e-mail the portal sends, never
    # from the Host header of the request that asked for them.
    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return settings.SITE_URL + reverse("account_confirm_email", args=[emailconfirmation.key])

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return settings.SITE_URL + path.replace("UID-KEY", quote(key))
