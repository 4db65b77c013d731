"""Log in with Heroku, end to end through the loopback fake Heroku: who a Heroku login makes a
person in the portal, and that it is off unless the operator set the portal's OAuth client.

Rules (accounts/heroku_login/adapter.py): Heroku must say the account is verified; a new address
makes a new, verified account; an address a verified portal account uses is connected to it; an
address an unverified portal account uses is refused, so that neither takes the other over.
"""

import html
import re
from urllib.parse import urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts import selectors, services
from accounts.models import CompanyUser, User
from tests.builders import make_provider

pytestmark = pytest.mark.django_db

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def text(response) -> str:
    return html.unescape(response.content.decode())


def log_in_with_heroku(client, fake, email, *, next_url="", decision="allow"):
    """Press "Log in with Heroku", log in at the fake as EMAIL, and come back to the portal."""
    data = {"next": next_url} if next_url else {}
    start = client.post(reverse("heroku_login"), data)
    assert start.status_code == 302 and start.url.startswith(f"{fake.url}/oauth/authorize?")
    page = requests.get(start.url, allow_redirects=False)
    assert page.status_code == 200  # the fake's login page asks who logs in
    form = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
    answer = requests.post(
        f"{fake.url}/oauth/authorize",
        data={**form, "email": email, "decision": decision},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    assert callback.path == reverse("heroku_callback")
    return client.get(f"{callback.path}?{callback.query}")


def site_path(message) -> str:
    """The path of the one link of an e-mail the portal sent."""
    return message.body.split("http://127.0.0.1:8000", 1)[1].split()[0]


def logged_in_as(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


class TestANewPerson:
    def test_a_verified_heroku_account_becomes_a_verified_portal_account(self, client, heroku_id):
        account = heroku_id.world.add_heroku_account("Nora@Example.com", name="Nora Heroku")

        response = log_in_with_heroku(client, heroku_id, "nora@example.com")

        assert response.status_code == 302
        assert response.url == reverse("provider-home")
        user = logged_in_as(client)
        assert (user.email, user.name) == ("nora@example.com", "Nora Heroku")
        assert not user.has_usable_password()
        assert selectors.has_verified_email(user)
        social = SocialAccount.objects.get(user=user)
        assert (social.provider, social.uid) == ("heroku", account["id"])

    def test_who_logged_in_with_heroku_may_join_the_program_at_once(self, client, heroku_id):
        heroku_id.world.add_heroku_account("nora@example.com")
        log_in_with_heroku(client, heroku_id, "nora@example.com")
        client.post(reverse("accounts:join-provider-program"))
        assert logged_in_as(client).has_joined_provider_program

    def test_next_is_followed(self, client, heroku_id):
        heroku_id.world.add_heroku_account("nora@example.com")
        response = log_in_with_heroku(
            client, heroku_id, "nora@example.com", next_url="/provider/companies/new/"
        )
        assert response.url == "/provider/companies/new/"

    def test_an_unverified_heroku_account_is_refused(self, client, heroku_id):
        heroku_id.world.add_heroku_account("nora@example.com", verified=False)
        response = log_in_with_heroku(client, heroku_id, "nora@example.com")
        assert response.status_code == 403
        assert "Heroku has not verified nora@example.com" in text(response)
        assert logged_in_as(client) is None
        assert not User.objects.exists() and not SocialAccount.objects.exists()

    def test_the_second_login_is_the_same_person_even_after_a_change_at_heroku(
        self, client, heroku_id
    ):
        heroku_id.world.add_heroku_account("nora@example.com")
        log_in_with_heroku(client, heroku_id, "nora@example.com")
        first = logged_in_as(client)
        client.post(reverse("account_logout"))
        # Heroku's user id is what identifies the account; its address may change at Heroku.
        account = heroku_id.world.heroku_accounts.pop("nora@example.com")
        heroku_id.world.heroku_accounts["nora.new@example.com"] = {
            **account,
            "email": "nora.new@example.com",
        }
        log_in_with_heroku(client, heroku_id, "nora.new@example.com")
        assert logged_in_as(client) == first
        assert User.objects.count() == 1


class TestAnAddressThePortalKnows:
    def test_a_verified_portal_account_is_connected_and_keeps_its_companies(
        self, client, heroku_id, manager
    ):
        heroku_id.world.add_heroku_account("MANAGER@example.com")

        response = log_in_with_heroku(client, heroku_id, "manager@example.com")

        assert response.status_code == 302
        assert logged_in_as(client) == manager.user
        assert SocialAccount.objects.get().user == manager.user
        assert CompanyUser.objects.filter(user=manager.user).exists()
        assert User.objects.count() == 1

    def test_an_unverified_portal_account_is_never_taken_over(
        self, client, heroku_id, unverified_person, password
    ):
        heroku_id.world.add_heroku_account(unverified_person.email)

        response = log_in_with_heroku(client, heroku_id, unverified_person.email)

        assert response.status_code == 409
        page = text(response)
        assert "its address was never verified" in page
        assert "reset its password" in page
        assert logged_in_as(client) is None
        assert not SocialAccount.objects.exists()
        unverified_person.refresh_from_db()
        assert unverified_person.check_password(password)  # nothing about the account changed
        assert not selectors.has_verified_email(unverified_person)

    def test_an_unverified_sign_up_does_not_claim_the_heroku_identity(
        self, client, heroku_id, mailoutbox
    ):
        """Someone signs up with another's address and waits: the owner's Heroku login is
        refused until the owner proves the address, and the squatter's password then fails."""
        client.post(
            reverse("account_signup"),
            {
                "email": "owner@example.com",
                "password1": "squatter pass 1",
                "password2": "squatter pass 1",
            },
        )
        (verification,) = mailoutbox  # it went to the owner's mailbox, not the squatter's
        heroku_id.world.add_heroku_account("owner@example.com")
        owner = client.__class__()
        assert log_in_with_heroku(owner, heroku_id, "owner@example.com").status_code == 409

        # The owner takes the account back with a reset link sent to their own mailbox ...
        owner.post(reverse("account_reset_password"), {"email": "owner@example.com"})
        reset = site_path(mailoutbox[-1])
        form = owner.get(reset, follow=True).redirect_chain[-1][0]
        owner.post(form, {"password1": "owner pass 22", "password2": "owner pass 22"})
        squatter_login = owner.post(
            reverse("account_login"), {"login": "owner@example.com", "password": "squatter pass 1"}
        )
        assert squatter_login.status_code == 200  # the squatter's password is gone
        # ... proves the address with the link they hold, and the Heroku login connects.
        owner.post(site_path(verification))
        assert log_in_with_heroku(owner, heroku_id, "owner@example.com").status_code == 302
        assert SocialAccount.objects.get().user.email == "owner@example.com"
        assert User.objects.count() == 1

    def test_once_verified_the_same_account_connects(self, client, heroku_id, unverified_person):
        services.mark_email_verified(user=unverified_person)
        heroku_id.world.add_heroku_account(unverified_person.email)
        assert log_in_with_heroku(client, heroku_id, unverified_person.email).status_code == 302
        assert logged_in_as(client) == unverified_person


class TestRefusalsAtHeroku:
    def test_denying_at_heroku_cancels(self, client, heroku_id):
        heroku_id.world.add_heroku_account("nora@example.com")
        response = log_in_with_heroku(client, heroku_id, "nora@example.com", decision="deny")
        assert response.url == reverse("socialaccount_login_cancelled")
        assert logged_in_as(client) is None

    def test_a_replayed_callback_logs_nobody_in(self, client, heroku_id):
        heroku_id.world.add_heroku_account("nora@example.com")
        heroku_id.world.signed_in = "nora@example.com"
        start = client.post(reverse("heroku_login"))
        callback = requests.get(start.url, allow_redirects=False).headers["Location"]
        parts = urlsplit(callback)
        assert client.get(f"{parts.path}?{parts.query}").status_code == 302
        client.post(reverse("account_logout"))
        replay = client.get(f"{parts.path}?{parts.query}")
        assert replay.status_code == 401
        assert logged_in_as(client) is None


class TestOnOrOff:
    def test_off_there_is_no_button_and_the_urls_are_404(self, client):
        assert "Log in with Heroku" not in text(client.get(reverse("account_login")))
        assert "Log in with Heroku" not in text(client.get(reverse("account_signup")))
        assert client.get(reverse("heroku_login")).status_code == 404
        assert client.post(reverse("heroku_login")).status_code == 404
        assert (
            client.get(reverse("heroku_callback"), {"code": "c", "state": "s"}).status_code == 404
        )

    def test_on_the_login_and_signup_pages_offer_it_and_may_post_to_heroku(self, client, heroku_id):
        for name in ("account_login", "account_signup"):
            response = client.get(reverse(name))
            assert "Log in with Heroku" in text(response)
            policy = response.headers["Content-Security-Policy"]
            assert f"form-action 'self' {heroku_id.url}" in policy

    def test_on_other_pages_keep_the_strict_policy(self, client, heroku_id):
        response = client.get(reverse("account_reset_password"))
        assert "form-action 'self';" in response.headers["Content-Security-Policy"]

    def test_the_address_heroku_gives_is_checked_like_any_other(self, client, heroku_id):
        heroku_id.world.add_heroku_account("nora\u200b@example.com")
        response = log_in_with_heroku(client, heroku_id, "nora\u200b@example.com")
        assert response.status_code == 401
        assert "cannot be used here" in text(response)
        assert not User.objects.exists()


def test_a_verified_address_stays_unique(client, heroku_id, password):
    """Two portal accounts never hold one verified address, whichever way it was proven."""
    make_provider("taken@example.com", password)
    heroku_id.world.add_heroku_account("taken@example.com")
    log_in_with_heroku(client, heroku_id, "taken@example.com")
    assert EmailAddress.objects.filter(email="taken@example.com", verified=True).count() == 1
