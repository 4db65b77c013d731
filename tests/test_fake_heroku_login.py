"""The fake's login side must behave like id.heroku.com and the account endpoint, or the tests of
Log in with Heroku prove nothing."""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

ACCEPT = {"Accept": "application/vnd.heroku+json; version=3"}
CALLBACK = "https://portal.example.com/accounts/heroku/login/callback/"
# The Platform API schema lives in the project's shared/ folder, beside the checkout (or above it).
SCHEMA = next(
    (
        folder / "shared" / "heroku" / "platform-api-schema.json"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "heroku" / "platform-api-schema.json").exists()
    ),
    None,
)


@pytest.fixture
def world(fake_heroku):
    fake_heroku.world.add_oauth_client("portal-client", "portal-secret", CALLBACK)
    fake_heroku.world.add_heroku_account("Ann@Example.com", name="Ann Example")
    return fake_heroku.world


def authorize(fake, method="get", **params):
    params = {"client_id": "portal-client", "response_type": "code", "state": "s1", **params}
    url = f"{fake.url}/oauth/authorize"
    if method == "get":
        return requests.get(url, params=params, allow_redirects=False)
    return requests.post(url, data=params, allow_redirects=False)


def redirected_to(response) -> tuple[str, dict]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    return f"{location.scheme}://{location.netloc}{location.path}", query


def exchange(fake, code, secret="portal-secret"):
    return requests.post(
        f"{fake.url}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "client_secret": secret},
    )


def test_the_login_page_asks_who_logs_in(fake_heroku, world):
    page = authorize(fake_heroku, scope="identity")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'name="email"' in page.text and 'value="s1"' in page.text


def test_the_form_logs_the_account_in_and_redirects_to_the_callback(fake_heroku, world):
    callback, query = redirected_to(
        authorize(fake_heroku, "post", email="ann@example.com", decision="allow")
    )
    assert callback == CALLBACK
    assert query["state"] == "s1"
    token = exchange(fake_heroku, query["code"]).json()
    assert token["token_type"] == "Bearer"
    assert token["user_id"] == world.heroku_accounts["ann@example.com"]["id"]

    account = requests.get(
        f"{fake_heroku.url}/account",
        headers={**ACCEPT, "Authorization": f"Bearer {token['access_token']}"},
    )
    assert account.status_code == 200
    assert (account.json()["email"], account.json()["verified"]) == ("Ann@Example.com", True)


def test_a_signed_in_account_is_redirected_at_once(fake_heroku, world):
    world.signed_in = "ann@example.com"
    callback, query = redirected_to(authorize(fake_heroku))
    assert callback == CALLBACK and "code" in query


def test_denying_redirects_with_access_denied(fake_heroku, world):
    _, query = redirected_to(authorize(fake_heroku, "post", email="x", decision="deny"))
    assert query == {"error": "access_denied", "state": "s1"}


def test_an_unknown_account_gets_the_page_again(fake_heroku, world):
    page = authorize(fake_heroku, "post", email="nobody@example.com", decision="allow")
    assert page.status_code == 401
    assert "No Heroku account has that e-mail address." in page.text


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "unknown"},
        {"response_type": "token"},
        {"redirect_uri": "https://evil.example/callback"},
    ],
)
def test_bad_authorize_requests_are_refused(fake_heroku, world, params):
    assert authorize(fake_heroku, **params).status_code == 400


def test_a_login_code_is_single_use_and_needs_the_client_secret(fake_heroku, world):
    code = world.create_login_code("portal-client", "ann@example.com")
    assert exchange(fake_heroku, code, secret="wrong").status_code == 401
    code = world.create_login_code("portal-client", "ann@example.com")
    assert exchange(fake_heroku, code).status_code == 200
    assert exchange(fake_heroku, code).status_code == 401


def test_account_needs_a_login_token_and_the_accept_header(fake_heroku, world):
    code = world.create_login_code("portal-client", "ann@example.com")
    token = exchange(fake_heroku, code).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{fake_heroku.url}/account", headers=bearer).status_code == 400
    wrong = {**ACCEPT, "Authorization": "Bearer not-a-token"}
    assert requests.get(f"{fake_heroku.url}/account", headers=wrong).status_code == 401
    # A resource's token reads its resource, never a person's account.
    _, resource_token = world.add_resource()
    resource = {**ACCEPT, "Authorization": f"Bearer {resource_token}"}
    assert requests.get(f"{fake_heroku.url}/account", headers=resource).status_code == 401


def test_the_account_has_every_property_of_the_schema(fake_heroku, world):
    """The answer carries each property of the schema's `account`, with a type it allows."""
    if SCHEMA is None:
        pytest.skip("shared/heroku/platform-api-schema.json is not beside the checkout")
    schema = json.loads(SCHEMA.read_text())["definitions"]["account"]
    account = world.heroku_accounts["ann@example.com"]
    json_types = {str: "string", bool: "boolean", type(None): "null", dict: "object"}
    for name, prop in schema["properties"].items():
        assert name in account, name
        definition = prop
        if "$ref" in prop:
            definition = schema["definitions"][prop["$ref"].rsplit("/", 1)[1]]
        allowed = definition.get("type") or ["object", "null"]
        allowed = [allowed] if isinstance(allowed, str) else allowed
        assert json_types[type(account[name])] in allowed, (name, account[name], allowed)


def test_the_control_api_sets_up_a_login(fake_heroku):
    control = f"{fake_heroku.url}/_fake/"
    requests.post(control + "oauth-clients", json={"client_id": "c", "secret": "s"})
    requests.post(control + "heroku-accounts", json={"email": "bo@example.com", "verified": False})
    requests.post(control + "signed-in", json={"email": "bo@example.com"})
    callback, query = redirected_to(
        authorize(fake_heroku, client_id="c", redirect_uri="http://127.0.0.1:9/cb")
    )
    assert callback == "http://127.0.0.1:9/cb"
    assert fake_heroku.world.heroku_accounts["bo@example.com"]["verified"] is False
    requests.delete(control + "signed-in")
    assert authorize(fake_heroku, client_id="c").status_code == 200
