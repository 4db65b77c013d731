"""POST /sso/login: the signed token, its timestamp, replay, and malformed requests."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from addons.models import AddonResource, UsedSSOToken
from addons.sso.sessions import SESSION_KEY
from tests.builders import HEROKU_EMAIL, HEROKU_USER_ID, sso_form

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
LOGIN = "/sso/login"


def assert_refused(response, text=""):
    assert response.status_code == 403
    assert SESSION_KEY not in response.wsgi_request.session
    if text:
        assert text in response.content.decode()


def test_the_url_is_named():
    assert reverse("addons:sso-login") == LOGIN


def test_user_scoped_token_logs_in_and_redirects_to_the_dashboard(client, resource, grant):
    response = client.post(LOGIN, sso_form(resource))
    assert response.status_code == 302
    assert response["Location"] == reverse("addons:dashboard", args=[resource.uuid])
    session = client.session[SESSION_KEY]
    assert session["resource"] == str(resource.uuid)
    assert session["user_id"] == HEROKU_USER_ID
    assert session["email"] == HEROKU_EMAIL
    assert UsedSSOToken.objects.count() == 1


def test_email_is_matched_case_insensitively(client, resource, grant):
    grant.heroku_user_id = ""
    grant.save()
    response = client.post(LOGIN, sso_form(resource, email="Dev@Example.COM"))
    assert response.status_code == 302
    assert client.session[SESSION_KEY]["email"] == "dev@example.com"


def test_get_is_not_allowed(client, resource):
    assert client.get(LOGIN).status_code == 405


def test_legacy_token_is_refused_by_default(client, resource, grant):
    form = sso_form(resource)
    del form["user_scoped_resource_token"]
    assert_refused(client.post(LOGIN, form))
    assert UsedSSOToken.objects.count() == 0


def test_legacy_token_is_accepted_when_allowed(client, resource, grant, settings):
    settings.SSO_ALLOW_LEGACY_TOKEN = True
    form = sso_form(resource)
    del form["user_scoped_resource_token"]
    assert client.post(LOGIN, form).status_code == 302


def test_legacy_token_never_rescues_a_wrong_user_scoped_token(client, resource, grant, settings):
    """With both tokens sent, a tampered email must fail, though the legacy token still matches."""
    settings.SSO_ALLOW_LEGACY_TOKEN = True
    form = sso_form(resource)
    form["email"] = "attacker@example.com"
    assert_refused(client.post(LOGIN, form), "could not be verified")


@pytest.mark.parametrize(
    "field, value",
    [
        ("resource_id", str(uuid.uuid4())),
        ("timestamp", "__shifted__"),
        ("user_id", "0b6e7d2f-5c1a-4a8e-9f3b-2e6d8c4a1b09"),
        ("email", "someone-else@example.com"),
        ("user_scoped_resource_token", "0" * 64),
    ],
)
def test_each_tampered_field_is_refused(client, resource, grant, field, value):
    form = sso_form(resource)
    form[field] = str(int(form["timestamp"]) - 1) if value == "__shifted__" else value
    assert_refused(client.post(LOGIN, form), "could not be verified")
    assert UsedSSOToken.objects.count() == 0


def test_a_flipped_token_character_is_refused(client, resource, grant):
    form = sso_form(resource)
    token = form["user_scoped_resource_token"]
    form["user_scoped_resource_token"] = ("1" if token[0] != "1" else "2") + token[1:]
    assert_refused(client.post(LOGIN, form))


def test_wrong_salt_is_refused(client, resource, grant):
    assert_refused(client.post(LOGIN, sso_form(resource, salt="x" * 32)))


def test_timestamp_older_than_five_minutes_is_refused(client, resource, grant, time_machine):
    time_machine.move_to(NOW, tick=False)
    form = sso_form(resource, timestamp=int(NOW.timestamp()))
    time_machine.move_to(NOW + timedelta(seconds=301), tick=False)
    assert_refused(client.post(LOGIN, form), "expired")


def test_timestamp_just_within_five_minutes_is_accepted(client, resource, grant, time_machine):
    time_machine.move_to(NOW, tick=False)
    form = sso_form(resource, timestamp=int(NOW.timestamp()))
    grant.resource.last_synced_at = NOW + timedelta(seconds=300)
    grant.resource.save()
    time_machine.move_to(NOW + timedelta(seconds=300), tick=False)
    assert client.post(LOGIN, form).status_code == 302


def test_timestamp_in_the_future_beyond_the_skew_is_refused(client, resource, grant, time_machine):
    time_machine.move_to(NOW, tick=False)
    resource.last_synced_at = NOW
    resource.save()
    future = sso_form(resource, timestamp=int(NOW.timestamp()) + 61)
    assert_refused(client.post(LOGIN, future), "future")
    within_skew = sso_form(resource, timestamp=int(NOW.timestamp()) + 60)
    assert client.post(LOGIN, within_skew).status_code == 302


def test_a_replayed_token_is_refused(client, resource, grant):
    form = sso_form(resource)
    assert client.post(LOGIN, form).status_code == 302
    client.session.flush()
    assert_refused(client.post(LOGIN, form), "already been used")
    assert UsedSSOToken.objects.count() == 1


def test_a_token_refused_for_access_is_spent_all_the_same(client, resource, monkeypatch):
    """Nobody on the list: the token is still used up, so it cannot be retried later."""
    monkeypatch.setattr(
        "addons.sso.services.refetch_access_list", lambda resource, timeout: (True, "")
    )
    form = sso_form(resource)
    assert client.post(LOGIN, form).status_code == 403
    assert UsedSSOToken.objects.count() == 1


def test_used_tokens_are_pruned_after_the_validity_window(
    client, resource, grant, time_machine, settings
):
    time_machine.move_to(NOW, tick=False)
    resource.last_synced_at = NOW
    resource.save()
    client.post(LOGIN, sso_form(resource, timestamp=int(NOW.timestamp())))
    window = settings.SSO_TOKEN_MAX_AGE + settings.SSO_CLOCK_SKEW
    later = NOW + timedelta(seconds=window + 1)
    time_machine.move_to(later, tick=False)
    resource.last_synced_at = later
    resource.save()
    client.post(LOGIN, sso_form(resource, timestamp=int(later.timestamp())))
    assert list(UsedSSOToken.objects.values_list("used_at", flat=True)) == [later]


def test_unknown_resource_is_refused_like_a_wrong_token(client, resource, grant):
    form = sso_form(uuid.uuid4())
    assert_refused(client.post(LOGIN, form), "could not be verified")


@pytest.mark.parametrize(
    "state, text",
    [
        (AddonResource.State.DEPROVISIONED, "no longer installed"),
        (AddonResource.State.PROVISIONING, "still being set up"),
    ],
)
def test_resource_that_is_not_provisioned_is_refused(client, resource, grant, state, text):
    resource.state = state
    resource.save()
    assert_refused(client.post(LOGIN, sso_form(resource)), text)
    assert UsedSSOToken.objects.count() == 0


@pytest.mark.parametrize("field", ["resource_id", "timestamp", "user_id", "email"])
def test_a_missing_field_is_refused(client, resource, grant, field):
    form = sso_form(resource)
    del form[field]
    assert_refused(client.post(LOGIN, form), "incomplete or malformed")


def test_no_token_at_all_is_refused(client, resource, grant):
    form = sso_form(resource)
    del form["user_scoped_resource_token"], form["resource_token"]
    assert_refused(client.post(LOGIN, form), "incomplete or malformed")


@pytest.mark.parametrize(
    "field, value",
    [
        ("resource_id", "not-a-uuid"),
        ("timestamp", "12e9"),
        ("timestamp", "9" * 40),
        ("timestamp", "-1"),
        ("user_id", "a:b"),
        ("email", "no-at-sign"),
        ("email", "dev@example.com\x00"),
        ("user_scoped_resource_token", "zz" * 32),
        ("nav-data", "x; Secure"),
        ("nav-data", "é"),
        ("nav-data", "a" * 3801),
    ],
)
def test_a_malformed_field_is_refused(client, resource, grant, field, value):
    form = sso_form(resource)
    form[field] = value
    assert_refused(client.post(LOGIN, form), "incomplete or malformed")
    assert UsedSSOToken.objects.count() == 0


def test_the_refusal_page_shows_no_account_controls(client, resource):
    response = client.post(LOGIN, {})
    assert response.status_code == 403
    body = response.content.decode().lower()
    for control in ("log out", "logout", "password", "sign up", "log in"):
        assert control not in body


def test_nav_data_is_stored_in_the_heroku_nav_data_cookie(client, resource, grant, settings):
    settings.DEBUG = True
    response = client.post(LOGIN, sso_form(resource, nav_data="abc.DEF-123_=/+"))
    cookie = response.cookies["heroku-nav-data"]
    assert cookie.value == "abc.DEF-123_=/+"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain http is fine while developing


def test_nav_data_cookie_is_secure_outside_debug(client, resource, grant, settings):
    settings.DEBUG = False
    response = client.post(LOGIN, sso_form(resource))
    assert response.cookies["heroku-nav-data"]["secure"]


def test_login_replaces_the_session_with_a_new_key(client, resource, grant):
    session = client.session
    session["planted"] = "by someone else"
    session.save()
    old_key = session.session_key
    client.post(LOGIN, sso_form(resource))
    assert client.session.session_key != old_key
    assert "planted" not in client.session


def test_session_expiry_is_set_to_sso_session_age(client, resource, grant, settings):
    settings.SSO_SESSION_AGE = 900
    client.post(LOGIN, sso_form(resource))
    assert client.session.get_expiry_age() == 900


def test_secrets_are_not_in_the_refusal_page(client, resource, grant):
    form = sso_form(resource)
    form["email"] = "x@example.com"
    body = client.post(LOGIN, form).content.decode()
    assert resource.addon.sso_salt not in body
    assert form["user_scoped_resource_token"] not in body


# Garbage: never a 500, and nothing written but at most one used token ---------------------------
FIELDS = [
    "resource_id",
    "timestamp",
    "resource_token",
    "user_scoped_resource_token",
    "email",
    "user_id",
    "app",
    "context_app",
    "nav-data",
]
text = st.text(max_size=80)


def _rows():
    from addons.models import AccessChange, AccessGrant, SyncRun

    return (
        AddonResource.objects.count(),
        AccessGrant.objects.count(),
        AccessChange.objects.count(),
        SyncRun.objects.count(),
    )


@hsettings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    overrides=st.dictionaries(st.sampled_from(FIELDS), text, max_size=len(FIELDS)),
    dropped=st.sets(st.sampled_from(FIELDS)),
    keep_valid=st.booleans(),
)
def test_garbage_never_causes_a_500_nor_a_write(
    client, resource, grant, overrides, dropped, keep_valid
):
    UsedSSOToken.objects.all().delete()
    before = _rows()
    sessions = Session.objects.count()
    form = sso_form(resource) if keep_valid else {}
    form.update(overrides)
    for field in dropped:
        form.pop(field, None)
    response = client.post(LOGIN, form)
    assert response.status_code in (302, 403)
    assert UsedSSOToken.objects.count() <= 1
    assert _rows() == before
    if response.status_code == 403:
        assert Session.objects.count() == sessions


@hsettings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ts=st.integers(min_value=-(10**15), max_value=10**15))
def test_any_timestamp_is_decided_without_error(client, resource, grant, ts):
    form = sso_form(resource, timestamp=abs(ts))
    response = client.post(LOGIN, form)
    assert response.status_code in (302, 403)
    if abs(abs(ts) - time.time()) > 400:
        assert response.status_code == 403
