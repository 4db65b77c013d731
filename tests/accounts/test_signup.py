"""Sign-up, e-mail verification, login, logout and passwords: django-allauth's flows in the portal.

Sign-up sends a verification link and logs nobody in; the link logs the person in and proves the
address. An unverified person cannot log in with a password: each try sends a new link.
"""

import html
import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts import selectors
from accounts.models import User
from tests.builders import make_provider

pytestmark = pytest.mark.django_db

PASSPHRASE = "a-long-enough-passphrase"
LINK = re.compile(r"https?://\S+")


def text(response) -> str:
    return html.unescape(response.content.decode())


def sign_up(client, email="New@Example.com", *, next_url="", **extra):
    url = reverse("account_signup") + (f"?next={next_url}" if next_url else "")
    data = {"email": email, "name": "Nina", "password1": PASSPHRASE, "password2": PASSPHRASE}
    if next_url:
        data["next"] = next_url
    return client.post(url, {**data, **extra})


def link_in(message) -> str:
    """The one link of an e-mail, as a path of this site."""
    (url,) = LINK.findall(message.body)
    assert url.startswith("http://127.0.0.1:8000/"), url  # SITE_URL, not the request's host
    return url.removeprefix("http://127.0.0.1:8000")


class TestSignup:
    def test_signup_sends_a_link_and_logs_nobody_in(self, client, mailoutbox):
        response = sign_up(client)
        assert response.status_code == 302
        assert response.url == reverse("account_email_verification_sent")
        user = User.objects.get()
        assert (user.email, user.name) == ("new@example.com", "Nina")
        assert not selectors.has_verified_email(user)
        assert [m.to for m in mailoutbox] == [["new@example.com"]]
        assert mailoutbox[0].subject == "Partner Portal: Verify your e-mail address"
        assert "_auth_user_id" not in client.session
        assert "Check your e-mail" in text(client.get(response.url))

    def test_the_link_verifies_logs_in_and_follows_next(self, client, mailoutbox):
        sign_up(client, next_url="/provider/home")
        confirm = link_in(mailoutbox[0])
        page = client.get(confirm)  # a mail scanner's GET verifies nothing
        assert "Verify my address" in text(page)
        assert not selectors.has_verified_email(User.objects.get())

        response = client.post(confirm)

        assert response.status_code == 302
        assert response.url == "/provider/home"
        assert selectors.has_verified_email(User.objects.get())
        assert client.get("/provider/home").status_code == 200

    def test_an_offsite_next_is_ignored(self, client, mailoutbox):
        sign_up(client, next_url="https://evil.example/")
        response = client.post(link_in(mailoutbox[0]))
        assert response.url == reverse("provider-home")

    def test_a_taken_address_in_another_case_is_a_clear_400(self, client, provider):
        response = sign_up(client, "MANAGER@example.com")
        assert response.status_code == 400
        assert "An account with this email address already exists." in text(response)
        assert User.objects.count() == 1

    def test_an_address_with_an_invisible_character_is_refused_by_name(self, client):
        response = sign_up(client, "ann\u200b@example.com")
        assert response.status_code == 400
        assert "invisible or control characters (U+200B)" in text(response)
        assert not User.objects.exists()

    def test_an_address_is_stored_in_its_one_form(self, client):
        sign_up(client, "  Ann@E\u0301xample.COM ")  # E + combining acute: NFC makes it one É
        assert User.objects.get().email == "ann@\u00e9xample.com"
        assert EmailAddress.objects.get().email == "ann@\u00e9xample.com"

    def test_an_expired_or_forged_link_says_so(self, client):
        response = client.get("/accounts/confirm-email/not-a-key/")
        assert response.status_code == 404
        assert "This verification link has expired or is not valid." in text(response)


class TestLogin:
    def test_login_with_the_address_in_any_case_and_logout(self, client, provider, password):
        response = client.post(
            reverse("account_login"), {"login": " Manager@Example.com ", "password": password}
        )
        assert response.status_code == 302
        assert response.url == reverse("provider-home")
        assert client.post(reverse("account_logout")).status_code == 302
        assert client.get(reverse("provider-home")).status_code == 302

    def test_an_unverified_person_is_not_logged_in_and_gets_a_new_link(
        self, client, unverified_person, password, mailoutbox
    ):
        response = client.post(
            reverse("account_login"), {"login": unverified_person.email, "password": password}
        )
        assert response.status_code == 302
        assert response.url == reverse("account_email_verification_sent")
        assert "_auth_user_id" not in client.session
        assert [m.to for m in mailoutbox] == [[unverified_person.email]]
        client.post(link_in(mailoutbox[0]))
        assert client.session["_auth_user_id"] == str(unverified_person.pk)
        assert selectors.has_verified_email(unverified_person)

    def test_a_person_created_in_the_admin_verifies_at_first_login(
        self, client, password, mailoutbox
    ):
        person = User.objects.create_user("made-by-operator@example.com", password)
        client.post(reverse("account_login"), {"login": person.email, "password": password})
        assert "_auth_user_id" not in client.session
        assert [m.to for m in mailoutbox] == [[person.email]]

    def test_a_wrong_password_is_a_form_error(self, client, provider):
        response = client.post(
            reverse("account_login"), {"login": provider.email, "password": "wrong"}
        )
        assert response.status_code == 200
        assert "The email address or password is not correct." in text(response)


class TestPasswords:
    def test_reset_mails_a_link_from_site_url_that_sets_a_new_password(
        self, client, provider, mailoutbox
    ):
        response = client.post(reverse("account_reset_password"), {"email": provider.email})
        assert response.url == reverse("account_reset_password_done")
        reset = link_in(mailoutbox[0])
        form = client.get(reset, follow=True)
        assert "Set a new password" in text(form)
        assert "invalid" not in text(form)
        done = client.post(
            form.redirect_chain[-1][0] if form.redirect_chain else reset,
            {"password1": "another long passphrase", "password2": "another long passphrase"},
        )
        assert done.status_code == 302
        provider.refresh_from_db()
        assert provider.check_password("another long passphrase")

    def test_reset_of_an_unknown_address_looks_the_same_and_mails_nobody(self, client, mailoutbox):
        response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
        assert response.url == reverse("account_reset_password_done")
        assert mailoutbox == []

    def test_a_bad_reset_link_is_a_404_that_says_so(self, client):
        response = client.get("/accounts/password/reset/key/1-not-a-token/")
        assert response.status_code == 404
        assert "This password reset link is invalid or was already used." in text(response)

    def test_change_password(self, client, provider, password):
        client.force_login(provider)
        response = client.post(
            reverse("account_change_password"),
            {
                "oldpassword": password,
                "password1": "a brand new passphrase 42",
                "password2": "a brand new passphrase 42",
            },
        )
        assert response.status_code == 302
        provider.refresh_from_db()
        assert provider.check_password("a brand new passphrase 42")


class TestOldAddresses:
    @pytest.mark.parametrize(
        ("old", "new"),
        [
            ("/accounts/password_change/", "/accounts/password/change/"),
            ("/accounts/password_change/done/", "/accounts/password/change/"),
            ("/accounts/password_reset/", "/accounts/password/reset/"),
            ("/accounts/password_reset/done/", "/accounts/password/reset/done/"),
            ("/accounts/reset/done/", "/accounts/login/"),
        ],
    )
    def test_old_addresses_redirect_to_their_successors(self, client, old, new):
        response = client.get(old)
        assert (response.status_code, response.url) == (301, new)

    def test_an_old_reset_link_asks_for_a_new_one(self, client):
        response = client.get("/accounts/reset/MQ/set-password/", follow=True)
        assert response.redirect_chain == [("/accounts/password/reset/", 302)]
        assert "from an earlier version of the portal" in text(response)

    @pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
    def test_login_and_signup_keep_their_addresses(self, client, path):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_email_verification_sent",
        "socialaccount_login_cancelled",
    ],
)
def test_pages_have_one_h1_and_no_inline_script_or_style(client, name):
    body = client.get(reverse(name)).content.decode()
    assert body.count("<h1") == 1, name
    assert "<script>" not in body and "style=" not in body, name
    assert "Partner Portal" in body


@pytest.mark.parametrize("name", ["account_email", "account_change_password"])
def test_account_pages_of_a_logged_in_person_look_the_same(client, name, password):
    client.force_login(make_provider("p@example.com", password))
    body = client.get(reverse(name)).content.decode()
    assert body.count("<h1") == 1, name
    assert "<script>" not in body and "style=" not in body, name
