"""How Platform API calls are retried, against the loopback fake Heroku.

`responses` replaces the adapter's `send`, so urllib3's Retry never runs under it: it replays
status retries itself, without ever waiting between them, and raises connection errors straight
through. These tests therefore go over real HTTP to the fake, which injects 5xx, 429 (with or
without Retry-After), resets and timeouts and counts the requests per path. Waiting goes through an
injected clock: no test sleeps for a back-off.
"""

import threading
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from addons.heroku.client import PlatformClient, ResourceCredentials
from addons.heroku.errors import RetryLater, TokenRejected
from addons.heroku.oauth import OAuthClient
from addons.heroku.retries import READ_RETRY, RETRY_AFTER_CAP
from addons.heroku.session import platform_session

SECRET = "client-secret-789"
REFRESH = "refresh-tok-456"


@pytest.fixture
def fake_resource(fake_heroku):
    """A resource on a personal app known to the fake: (uuid, access token)."""
    uuid, token = fake_heroku.world.add_resource(owner="owner@example.com")
    fake_heroku.world.refresh_tokens[REFRESH] = {"resource": uuid, "client_secret": SECRET}
    return uuid, token


@pytest.fixture
def credentials(fake_resource):
    _, token = fake_resource
    return ResourceCredentials(
        access_token=token,
        refresh_token=REFRESH,
        expires_at=timezone.now() + timedelta(hours=8),
        client_secret=SECRET,
    )


def make_client(fake_heroku, clock, **kwargs):
    # No jitter: each back-off is its base value (0.5 s, then 1 s).
    kwargs.setdefault("retry", READ_RETRY.new(backoff_jitter=0.0))
    kwargs.setdefault("timeout", 2)
    return PlatformClient(
        base_url=fake_heroku.url, sleep=clock.sleep, clock=clock, jitter=lambda: 1.0, **kwargs
    )


@pytest.fixture
def platform_client(fake_heroku, clock):
    return make_client(fake_heroku, clock)


def addon_path(fake_resource):
    return f"/addons/{fake_resource[0]}"


def app_id(fake_heroku, fake_resource):
    return fake_heroku.world.app_of(fake_resource[0])["id"]


def fetch_addon(platform_client, fake_resource, credentials, **kwargs):
    return platform_client.fetch_addon(fake_resource[0], credentials=credentials, **kwargs)


def assert_no_secret(exc, credentials):
    for secret in (credentials.access_token, credentials.refresh_token, SECRET):
        assert secret not in str(exc) and secret not in repr(exc)


def call(credentials):
    return {"credentials": credentials}


def in_another_thread(function):
    """Run FUNCTION in a new thread and return its result (or raise its exception)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = function()
        except Exception as exc:  # handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=10)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


# 5xx ----------------------------------------------------------------------------------------


def test_a_5xx_is_retried_after_a_back_off(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("503", match=path, times=1)
    addon = fetch_addon(platform_client, fake_resource, credentials)
    assert addon.app_name
    assert fake_heroku.path_counts[path] == 2
    assert clock.sleeps == [0.5]


def test_5xx_until_the_attempts_run_out_is_retry_later_without_secrets(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("500", match=path)
    with pytest.raises(RetryLater, match="HTTP 500") as caught:
        fetch_addon(platform_client, fake_resource, credentials)
    assert fake_heroku.path_counts[path] == 3
    assert clock.sleeps == [0.5, 1.0]
    assert_no_secret(caught.value, credentials)


def test_max_attempts_sets_how_many_requests_a_call_makes(
    fake_heroku, clock, fake_resource, credentials
):
    client = make_client(fake_heroku, clock, max_attempts=2)
    path = addon_path(fake_resource)
    fake_heroku.inject("502", match=path)
    with pytest.raises(RetryLater, match="HTTP 502"):
        fetch_addon(client, fake_resource, credentials)
    assert fake_heroku.path_counts[path] == 2


# Transport errors ---------------------------------------------------------------------------


def test_a_connection_reset_is_retried(fake_heroku, platform_client, fake_resource, credentials):
    path = addon_path(fake_resource)
    fake_heroku.inject("reset", match=path, times=1)
    assert fetch_addon(platform_client, fake_resource, credentials).app_id
    assert fake_heroku.path_counts[path] == 2


def test_resets_until_the_attempts_run_out_are_retry_later_without_secrets(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("reset", match=path)
    with pytest.raises(RetryLater, match="ConnectionError") as caught:
        fetch_addon(platform_client, fake_resource, credentials)
    assert fake_heroku.path_counts[path] == 3
    assert clock.sleeps == [0.5, 1.0]
    assert_no_secret(caught.value, credentials)


def test_a_timeout_is_retried(fake_heroku, clock, fake_resource, credentials):
    client = make_client(fake_heroku, clock, timeout=0.3)
    path = addon_path(fake_resource)
    fake_heroku.inject("timeout", match=path, times=1, delay=2)
    assert fetch_addon(client, fake_resource, credentials).app_id
    assert fake_heroku.path_counts[path] == 2


def test_timeouts_until_the_attempts_run_out_are_retry_later(
    fake_heroku, clock, fake_resource, credentials
):
    client = make_client(fake_heroku, clock, timeout=0.2)
    path = addon_path(fake_resource)
    fake_heroku.inject("timeout", match=path, delay=2)
    with pytest.raises(RetryLater, match="ReadTimeout") as caught:
        fetch_addon(client, fake_resource, credentials)
    assert fake_heroku.path_counts[path] == 3
    assert_no_secret(caught.value, credentials)


# 429 and Retry-After ------------------------------------------------------------------------


def test_a_429_without_retry_after_backs_off_then_succeeds(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("429", match=path, times=2)
    assert fetch_addon(platform_client, fake_resource, credentials).app_id
    assert fake_heroku.path_counts[path] == 3
    assert clock.sleeps == [0.5, 1.0]  # never at once: Heroku asks clients to back off


def test_retry_after_is_honoured_up_to_the_cap(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("429", match=path, times=1, retry_after=str(int(RETRY_AFTER_CAP)))
    assert fetch_addon(platform_client, fake_resource, credentials).app_id
    assert fake_heroku.path_counts[path] == 2
    assert clock.sleeps == [RETRY_AFTER_CAP]


def test_a_retry_after_beyond_the_cap_fails_the_call_at_once(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("429", match=path, times=1, retry_after=str(int(RETRY_AFTER_CAP) + 1))
    with pytest.raises(RetryLater, match="HTTP 429 rate_limit"):
        fetch_addon(platform_client, fake_resource, credentials)
    assert fake_heroku.path_counts[path] == 1
    assert clock.sleeps == []
    # Nor does it hold the other calls: each learns of the limit from its own answer.
    assert platform_client.fetch_app(app_id(fake_heroku, fake_resource), **call(credentials))
    assert clock.sleeps == []


def test_retry_after_on_a_5xx_is_honoured_too(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("503", match=path, times=1, retry_after="7")
    assert fetch_addon(platform_client, fake_resource, credentials).app_id
    assert clock.sleeps == [7.0]


@pytest.mark.parametrize(("retry_after", "hold"), [("5", 5.0), (None, 0.5)])
def test_a_429_holds_every_thread_until_the_retry(
    fake_heroku, frozen_clock, fake_resource, credentials, retry_after, hold
):
    # The frozen clock keeps the hold in force: every later request shows what it waited.
    client = make_client(fake_heroku, frozen_clock)
    fake_heroku.inject("429", match=addon_path(fake_resource), times=1, retry_after=retry_after)
    assert fetch_addon(client, fake_resource, credentials).app_id
    assert frozen_clock.sleeps == [hold]  # this call waited for its retry
    app = app_id(fake_heroku, fake_resource)
    assert in_another_thread(lambda: client.fetch_app(app, **call(credentials))).id == app
    assert frozen_clock.sleeps == [hold, hold]  # and so did a call of another thread


# Deadlines ----------------------------------------------------------------------------------


def test_a_deadline_that_a_back_off_would_pass_stops_the_retries(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("503", match=path)
    with pytest.raises(RetryLater, match="HTTP 503"):
        fetch_addon(platform_client, fake_resource, credentials, deadline=clock() + 0.2)
    assert fake_heroku.path_counts[path] == 1
    assert clock.sleeps == []


def test_a_retry_gets_only_the_time_left_before_the_deadline(
    fake_heroku, clock, fake_resource, credentials
):
    client = make_client(fake_heroku, clock, timeout=10)
    path = addon_path(fake_resource)
    # A 503 that asks for 2 s, then Heroku hangs: the retry starts 2 s into a 3 s budget, so
    # it may wait 1 s for an answer, not the call's 3 s (nor the 10 s timeout).
    fake_heroku.inject("503", match=path, times=1, retry_after="2")
    fake_heroku.inject("timeout", match=path, delay=10)
    started = time.monotonic()
    with pytest.raises(RetryLater, match="ReadTimeout"):
        fetch_addon(client, fake_resource, credentials, deadline=clock() + 3)
    assert time.monotonic() - started < 2.5
    assert fake_heroku.path_counts[path] == 2
    assert clock.sleeps == [2.0]


def test_a_429_past_the_deadline_fails_at_once_but_still_holds_other_calls(
    fake_heroku, frozen_clock, fake_resource, credentials
):
    client = make_client(fake_heroku, frozen_clock)
    path = addon_path(fake_resource)
    fake_heroku.inject("429", match=path, times=1, retry_after="5")
    with pytest.raises(RetryLater, match="HTTP 429"):
        fetch_addon(client, fake_resource, credentials, deadline=frozen_clock() + 3)
    assert fake_heroku.path_counts[path] == 1
    assert frozen_clock.sleeps == []
    app = app_id(fake_heroku, fake_resource)
    assert client.fetch_app(app, **call(credentials)).id == app
    assert frozen_clock.sleeps == [5.0]


def test_a_call_held_past_its_deadline_by_the_rate_limit_is_not_sent(
    fake_heroku, frozen_clock, fake_resource, credentials
):
    client = make_client(fake_heroku, frozen_clock)
    client.pacer.back_off(5)  # another thread's 429
    with pytest.raises(RetryLater, match="deadline"):
        fetch_addon(client, fake_resource, credentials, deadline=frozen_clock() + 3)
    assert fake_heroku.path_counts[addon_path(fake_resource)] == 0
    assert frozen_clock.sleeps == []


# 401 and the token refresh ------------------------------------------------------------------


def test_a_401_refreshes_the_token_once_and_asks_again(
    fake_heroku, platform_client, fake_resource, credentials
):
    fake_heroku.world.expire_token(credentials.access_token)
    assert fetch_addon(platform_client, fake_resource, credentials).app_id
    assert fake_heroku.path_counts[addon_path(fake_resource)] == 2
    assert fake_heroku.path_counts["/oauth/token"] == 1
    assert credentials.refreshed is not None


def test_the_request_after_a_refresh_is_retried_like_any_other(
    fake_heroku, platform_client, clock, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("401", match=path, times=1)
    fake_heroku.inject("503", match=path, times=1)
    assert fetch_addon(platform_client, fake_resource, credentials).app_id
    assert fake_heroku.path_counts[path] == 3
    assert clock.sleeps == [0.5]


def test_a_401_again_after_the_refresh_is_token_rejected(
    fake_heroku, platform_client, fake_resource, credentials
):
    path = addon_path(fake_resource)
    fake_heroku.inject("401", match=path)
    with pytest.raises(TokenRejected) as caught:
        fetch_addon(platform_client, fake_resource, credentials)
    assert fake_heroku.path_counts[path] == 2
    assert fake_heroku.path_counts["/oauth/token"] == 1
    assert_no_secret(caught.value, credentials)


# What is never retried ----------------------------------------------------------------------


def test_a_write_through_a_platform_session_is_not_retried(fake_heroku, fake_resource):
    session = platform_session(fake_heroku.url)
    path = f"{addon_path(fake_resource)}/actions/provision"
    fake_heroku.inject("503", match=path, times=1)
    assert session.post(fake_heroku.url + path, timeout=2).status_code == 503
    fake_heroku.inject("reset", match=path, times=1)
    with pytest.raises(requests.ConnectionError):
        session.post(fake_heroku.url + path, timeout=2)
    assert fake_heroku.path_counts[path] == 2  # one request each, no retry


def test_the_oauth_token_endpoint_is_not_retried(fake_heroku):
    fake_heroku.inject("503", match="/oauth/token", times=1)
    with pytest.raises(RetryLater, match="HTTP 503"):
        OAuthClient().refresh(refresh_token=REFRESH, client_secret=SECRET)
    assert fake_heroku.path_counts["/oauth/token"] == 1
