"""Hostile input to the sign-up, log-in and password forms (django-allauth's), through the views.

Never a 500; a refused form writes nothing; an accepted sign-up creates one person whose address is
in the normal form of accounts.addresses.
"""

import hypothesis
import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.urls import reverse
from hypothesis import strategies as st

from accounts.models import Notification, User
from tests.hostile import (
    FORM_SETTINGS,
    assert_text_rules,
    form_changes,
    form_values,
    post_form,
    rows,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_allauth_limits(settings):
    """allauth's own limits (sign-ups, password changes, reset e-mails per minute) would answer
    every example after the first few with a 429: each form is to be judged on what it holds."""
    settings.ACCOUNT_RATE_LIMITS = False


emails = st.emails() | form_values | st.sampled_from(["New@Example.com ", "n\u200bew@example.com"])


@FORM_SETTINGS
@hypothesis.given(
    email=emails, name=form_values, password=st.sampled_from(["pw-Zq8!long-enough"]) | form_values
)
def test_any_sign_up_creates_one_person_or_is_refused(client, email, name, password):
    data = {"email": email, "name": name, "password1": password, "password2": password}
    before = rows(User)

    response = post_form(client, reverse("account_signup"), data)

    if response.status_code == 302:
        user = User.objects.latest("pk")
        assert User.objects.count() == len(before["User"]) + 1
        assert user.email == user.email.strip().lower() and "\x00" not in user.email
        assert_text_rules({"email": user.email, "name": user.name}, one_line=("email",))
        user.delete()
        client.logout()
    else:
        assert response.status_code == 400, response.status_code
        assert rows(User) == before


@FORM_SETTINGS
@hypothesis.given(changes=form_changes(["login", "password", "remember", "next"]))
def test_any_login_form_logs_in_or_is_refused(client, provider, changes):
    response = post_form(client, reverse("account_login"), changes)

    # Refused: the form again (200 or 400) or, after repeated failures, django-axes' lockout (429).
    assert response.status_code in {200, 302, 400, 429}, response.status_code
    if response.status_code == 302:
        assert response["Location"].startswith("/")
        client.logout()


@FORM_SETTINGS
@hypothesis.given(changes=form_changes(["oldpassword", "password1", "password2"]))
def test_any_password_change_form_changes_it_or_is_refused(client, provider, changes):
    client.force_login(provider)
    before = User.objects.get(pk=provider.pk).password

    response = post_form(client, reverse("account_change_password"), changes)

    assert response.status_code in {200, 302}, response.status_code
    if response.status_code != 302:
        assert User.objects.get(pk=provider.pk).password == before


@FORM_SETTINGS
@hypothesis.given(email=emails)
def test_any_password_reset_form_is_answered_and_writes_nothing(client, provider, email):
    before = Notification.objects.count()

    response = post_form(client, reverse("account_reset_password"), {"email": email})

    # The form again (200: no account uses the address, or it is not one) or "sent" (302).
    assert response.status_code in {200, 302}, response.status_code
    assert Notification.objects.count() == before


@pytest.mark.parametrize(
    ("url", "field"), [("/accounts/login/", "login"), ("/admin/login/", "username")]
)
@pytest.mark.parametrize("username", ["a" * 70_000, "%" * 30_000 + "@example.com"])
def test_a_user_name_no_address_can_be_is_refused_like_a_wrong_one(
    client, provider, url, field, username
):
    # SQLite refuses a LIKE pattern over 50,000 bytes, and iexact is a LIKE: this was a 500.
    response = post_form(client, url, {field: username, "password": "x"})

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


@FORM_SETTINGS
@hypothesis.given(changes=form_changes(["password1", "password2"]))
def test_any_new_password_form_sets_it_or_is_refused(client, provider, changes):
    uid = user_pk_to_url_str(provider)
    token = default_token_generator.make_token(User.objects.get(pk=provider.pk))
    # The link's key goes into the session; the form is at the "set-password" address.
    link = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": token})
    form_url = client.get(link)["Location"]
    before = User.objects.get(pk=provider.pk).password

    response = post_form(client, form_url, changes)

    assert response.status_code in {200, 302}, response.status_code
    if response.status_code != 302:
        assert User.objects.get(pk=provider.pk).password == before
