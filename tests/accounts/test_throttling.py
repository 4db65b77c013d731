"""Repeated failures are refused with 429 and a clear message: logins (portal and admin, via
django-axes, per username and address) and invitation links (per address, in the cache)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.throttling import client_ip

pytestmark = pytest.mark.django_db

LOGIN_URLS = ["/accounts/login/", "/admin/login/"]
LOCKED = "Too many failed login attempts; try again in 15 minutes."
# The portal's login form (django-allauth) names the address "login"; the admin's "username".
ADDRESS_FIELD = {"/accounts/login/": "login", "/admin/login/": "username"}


def log_in(client, url, username, password, ip="10.0.0.1"):
    data = {ADDRESS_FIELD[url]: username, "password": password}
    return client.post(url, data, REMOTE_ADDR=ip)


def fail(client, url, username, times, ip="10.0.0.1"):
    for attempt in range(1, times + 1):
        response = log_in(client, url, username, "wrong password", ip=ip)
        # The form again with its error; the fifth failure is answered with the lockout itself.
        assert response.status_code == (429 if attempt >= 5 else 200)


@pytest.fixture
def staff(provider):
    provider.is_staff = provider.is_superuser = True
    provider.save()
    return provider


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_five_failures_lock_the_username_at_that_address_for_15_minutes(
    client, staff, password, url
):
    fail(client, url, staff.email, 5)

    response = log_in(client, url, staff.email, password)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_four_failures_do_not_lock(client, staff, password, url):
    fail(client, url, staff.email, 4)

    response = log_in(client, url, staff.email, password)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_the_lock_is_per_username_and_address(client, staff, colleague, password):
    fail(client, "/accounts/login/", staff.email, 5)

    assert log_in(client, "/accounts/login/", colleague.email, password).status_code == 302
    client.logout()
    other_address = log_in(client, "/accounts/login/", staff.email, password, ip="10.0.0.2")
    assert other_address.status_code == 302


def test_the_portal_and_admin_logins_share_one_count(client, staff, password):
    fail(client, "/accounts/login/", staff.email, 4)

    assert log_in(client, "/admin/login/", staff.email, "wrong password").status_code == 429
    assert log_in(client, "/admin/login/", staff.email, password).status_code == 429


def test_the_count_ignores_the_case_of_the_email(client, staff, password):
    for typed in ["A", "B", "C", "D"]:
        log_in(client, "/accounts/login/", staff.email.upper(), typed)

    assert log_in(client, "/accounts/login/", f" {staff.email} ", "E").status_code == 429


def test_the_lock_ends_after_15_minutes(client, staff, password):
    fail(client, "/accounts/login/", staff.email, 5)

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = log_in(client, "/accounts/login/", staff.email, password)

    assert response.status_code == 302


def test_a_success_resets_the_count(client, staff, password):
    fail(client, "/accounts/login/", staff.email, 4)
    assert log_in(client, "/accounts/login/", staff.email, password).status_code == 302
    client.logout()

    fail(client, "/accounts/login/", staff.email, 4)

    assert log_in(client, "/accounts/login/", staff.email, password).status_code == 302


def test_a_locked_out_person_sees_the_message_on_every_try(client, staff, password):
    fail(client, "/accounts/login/", staff.email, 5)

    for _ in range(3):
        response = log_in(client, "/accounts/login/", staff.email, password)
        assert response.status_code == 429
        assert LOCKED in response.content.decode()


# Invitation links --------------------------------------------------------------------------------
BAD_TOKEN = "not-a-real-token"


@pytest.fixture(autouse=True)
def stopped_time():
    """A stopped clock: the invitation-link counts live in fixed windows, which must not turn over
    in the middle of a test."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def open_link(client, token, method="get", ip="10.0.0.1"):
    url = reverse("accounts:invitation-accept", args=[token])
    return getattr(client, method)(url, REMOTE_ADDR=ip)


def test_ten_bad_invitation_links_block_the_address(client, invitation_token):
    for i in range(10):
        assert open_link(client, f"{BAD_TOKEN}-{i}").status_code == 404

    blocked = open_link(client, invitation_token)

    assert blocked.status_code == 429
    assert "try again in 15 minutes" in blocked.content.decode()
    assert open_link(client, invitation_token, ip="10.0.0.9").status_code == 200


def test_the_block_ends_after_the_cooloff(client, invitation_token):
    for i in range(10):
        open_link(client, f"{BAD_TOKEN}-{i}")

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = open_link(client, invitation_token)

    assert response.status_code == 200


def test_good_links_do_not_count(client, invitation_token):
    for _ in range(20):
        assert open_link(client, invitation_token).status_code == 200


def test_bad_posts_of_a_logged_in_person_count(client, invitee, invitation_token):
    client.force_login(invitee)
    for i in range(10):
        assert open_link(client, f"{BAD_TOKEN}-{i}", "post").status_code == 404

    assert open_link(client, invitation_token, "post").status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.1"),
        (1, "1.1.1.1", "1.1.1.1"),
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),
        (2, "6.6.6.6, 1.1.1.1, 172.16.0.1", "1.1.1.1"),
        (1, "", "10.0.0.1"),
        (2, "172.16.0.1", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "6.6.6.6, 2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
