"""The Heroku provider: who a Heroku account is, read from `GET /account`."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider

from accounts.addresses import normalize_email
from accounts.heroku_login.config import PROVIDER_ID
from accounts.heroku_login.views import HerokuOAuth2Adapter


class HerokuAccount(ProviderAccount):
    def to_str(self) -> str:
        return self.account.extra_data.get("email") or super().to_str()


class HerokuProvider(OAuth2Provider):
    id = PROVIDER_ID
    name = "Heroku"
    account_class = HerokuAccount
    oauth2_adapter_class = HerokuOAuth2Adapter

    def get_default_scope(self) -> list[str]:
        return ["identity"]  # reads the account and nothing else

    def extract_uid(self, data: dict) -> str:
        return str(data["id"])

    def extract_common_fields(self, data: dict) -> dict:
        return {"email": normalize_email(data["email"]), "name": str(data.get("name") or "")}

    def extract_email_addresses(self, data: dict) -> list[EmailAddress]:
        """The account's one address, proven when Heroku says the account is verified."""
        return [
            EmailAddress(
                email=normalize_email(data["email"]),
                verified=data.get("verified") is True,
                primary=True,
            )
        ]


provider_classes = [HerokuProvider]
