"""The Heroku provider's HTTP, against `responses`: the token exchange at HEROKU_ID_URL and the
account at HEROKU_API_URL, with the headers Heroku asks for, and every bad answer refused."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.base import ProviderException

from accounts.heroku_login.views import fetch_account
from tests.accounts.conftest import HEROKU_CLIENT_ID, HEROKU_CLIENT_SECRET

pytestmark = pytest.mark.django_db

ID_URL = "https://id.heroku.example"
API_URL = "https://api.heroku.example"
ACCOUNT = {
    "id": "01234567-89ab-cdef-0123-456789abcdef",
    "email": "Tina@Example.com",
    "name": "Tina Edmonds",
    "verified": True,
    "federated": False,
    "two_factor_authentication": False,
}


@pytest.fixture
def heroku_urls(settings, heroku_login_on):
    settings.HEROKU_ID_URL = ID_URL
    settings.HEROKU_API_URL = API_URL


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def start_login(client) -> dict:
    """POST the login button; return the query of the authorize URL the browser is sent to."""
    response = client.post("/accounts/heroku/login/")
    assert response.status_code == 302
    location = urlsplit(response.url)
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ID_URL}/oauth/authorize"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


class TestFetchAccount:
    def test_reads_the_account_with_herokus_headers(self, mocked, heroku_urls):
        mocked.get(f"{API_URL}/account", json=ACCOUNT)
        assert fetch_account(f"{API_URL}/account", "token-1") == ACCOUNT
        sent = mocked.calls[0].request.headers
        assert sent["Accept"] == "application/vnd.heroku+json; version=3"
        assert sent["Authorization"] == "Bearer token-1"

    @pytest.mark.parametrize(
        ("answer", "message"),
        [
            ({"status": 401, "json": {"id": "unauthorized"}}, "Heroku answered 401"),
            ({"status": 503, "body": ""}, "Heroku answered 503"),
            ({"body": "<html>"}, "not JSON"),
            ({"json": ["a list"]}, "not an object"),
            ({"json": {**ACCOUNT, "id": ""}}, "no user id"),
            ({"json": {**ACCOUNT, "email": None}}, "no e-mail address"),
            ({"json": {**ACCOUNT, "email": "tina\u200b@example.com"}}, "cannot be used"),
            ({"json": {**ACCOUNT, "email": "not an address"}}, "cannot be used"),
        ],
    )
    def test_a_bad_answer_is_a_provider_error(self, mocked, heroku_urls, answer, message):
        mocked.get(f"{API_URL}/account", **answer)
        with pytest.raises(ProviderException, match=message):
            fetch_account(f"{API_URL}/account", "token-1")

    def test_a_timeout_is_a_transport_error(self, mocked, heroku_urls):
        mocked.get(f"{API_URL}/account", body=requests.ConnectTimeout("slow"))
        with pytest.raises(requests.RequestException):
            fetch_account(f"{API_URL}/account", "token-1")


class TestTheFlow:
    def test_authorize_asks_for_the_identity_scope_with_a_state(self, client, heroku_urls):
        query = start_login(client)
        assert query["client_id"] == HEROKU_CLIENT_ID
        assert query["response_type"] == "code"
        assert query["scope"] == "identity"
        assert len(query["state"]) >= 12
        assert query["redirect_uri"] == "http://testserver/accounts/heroku/login/callback/"

    def test_the_code_is_exchanged_and_the_account_read(self, client, mocked, heroku_urls):
        state = start_login(client)["state"]
        mocked.post(
            f"{ID_URL}/oauth/token",
            json={
                "access_token": "a1",
                "refresh_token": "r1",
                "expires_in": 28800,
                "token_type": "Bearer",
                "user_id": ACCOUNT["id"],
            },
        )
        mocked.get(f"{API_URL}/account", json=ACCOUNT)

        response = client.get("/accounts/heroku/login/callback/", {"code": "c1", "state": state})

        assert response.status_code == 302, response.content
        exchange = parse_qs(mocked.calls[0].request.body)
        assert exchange["grant_type"] == ["authorization_code"]
        assert exchange["code"] == ["c1"]
        assert exchange["client_secret"] == [HEROKU_CLIENT_SECRET]
        assert mocked.calls[1].request.headers["Authorization"] == "Bearer a1"
        account = SocialAccount.objects.get(provider="heroku")
        assert account.uid == ACCOUNT["id"]
        assert account.user.email == "tina@example.com"
        assert client.session["_auth_user_id"] == str(account.user.pk)

    @pytest.mark.parametrize(
        "answer",
        [
            {"status": 401, "json": {"id": "unauthorized", "message": "Invalid code"}},
            {"status": 200, "json": {"error": "no token here"}},
            {"status": 500, "body": ""},
        ],
    )
    def test_a_refused_exchange_logs_nobody_in(self, client, mocked, heroku_urls, answer):
        state = start_login(client)["state"]
        mocked.post(f"{ID_URL}/oauth/token", **answer)
        response = client.get("/accounts/heroku/login/callback/", {"code": "c1", "state": state})
        assert response.status_code == 401
        assert "Heroku login failed" in response.content.decode()
        assert "_auth_user_id" not in client.session
        assert not SocialAccount.objects.exists()

    def test_a_callback_without_its_state_makes_no_request(self, client, mocked, heroku_urls):
        start_login(client)
        response = client.get("/accounts/heroku/login/callback/", {"code": "c1", "state": "forged"})
        assert response.status_code == 401
        assert "_auth_user_id" not in client.session
