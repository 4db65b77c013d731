"""Log in with Heroku in a real browser, through the loopback fake of id.heroku.com: the person
presses the button, logs in on Heroku's page as their Heroku account, comes back logged in with a
verified address, and may join the Provider Program at once."""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from accounts import selectors
from accounts.models import User
from tests.e2e.steps import check_key_page, join_provider_program, main

CLIENT_ID, CLIENT_SECRET = "portal-e2e-client", "portal-e2e-secret"


@pytest.fixture
def heroku_login(live_server, fake_heroku, settings):
    """Log in with Heroku on, its client registered at the fake with this server's callback."""
    settings.HEROKU_OAUTH_CLIENT_ID = CLIENT_ID
    settings.HEROKU_OAUTH_CLIENT_SECRET = CLIENT_SECRET
    callback = f"{live_server.url}/accounts/heroku/login/callback/"
    fake_heroku.world.add_oauth_client(CLIENT_ID, CLIENT_SECRET, callback)
    return fake_heroku


def test_a_heroku_user_logs_in_and_joins_the_program(live_server, page, heroku_login, screenshot):
    account = heroku_login.world.add_heroku_account("hana@example.com", name="Hana Heroku")
    page.goto(f"{live_server.url}/accounts/login/")
    check_key_page(page, screenshot, "login-with-heroku-button")

    main(page).get_by_role("button", name="Log in with Heroku").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(heroku_login.url)}/oauth/authorize\?"))
    page.get_by_label("Email").fill("hana@example.com")
    page.get_by_role("button", name="Log in and allow").click()

    expect(page).to_have_url(f"{live_server.url}/provider/home")
    expect(page.locator("#user-tools")).to_contain_text("hana@example.com")
    join_provider_program(page)
    user = User.objects.get(email="hana@example.com")
    assert (user.name, user.has_joined_provider_program) == ("Hana Heroku", True)
    assert selectors.has_verified_email(user)
    assert SocialAccount.objects.get(user=user).uid == account["id"]


def test_a_heroku_account_heroku_has_not_verified_is_told_why(
    live_server, page, heroku_login, screenshot
):
    heroku_login.world.add_heroku_account("ivo@example.com", verified=False)
    heroku_login.world.signed_in = "ivo@example.com"  # already logged in at Heroku
    page.goto(f"{live_server.url}/accounts/signup/")

    main(page).get_by_role("button", name="Log in with Heroku").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your Heroku account is not verified")
    expect(main(page)).to_contain_text("Heroku has not verified ivo@example.com")
    check_key_page(page, screenshot, "heroku-account-unverified")
    assert not User.objects.exists()
