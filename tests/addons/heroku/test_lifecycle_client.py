"""The Platform API writes of the lifecycle (LifecycleClient) against the loopback fake Heroku:
what each call sends, how each write is retried by its own policy, and what each failure is.

Real HTTP (`responses` would bypass urllib3's Retry, see test_retries.py); waiting goes through
an injected clock, so no back-off is slept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from addons.heroku.actions import LifecycleClient
from addons.heroku.client import ResourceCredentials
from addons.heroku.errors import AddonGone, HerokuAPIError, MalformedResponse, RetryLater
from addons.heroku.retries import ACTION_RETRY, CONFIG_WRITE_RETRY, READ_RETRY

SECRET = "client-secret-789"
REFRESH = "refresh-tok-456"


@pytest.fixture
def fake_resource(fake_heroku):
    """An add-on still provisioning on the fake: (uuid, access token), refreshable."""
    uuid, token = fake_heroku.world.add_resource(state="provisioning")
    fake_heroku.world.refresh_tokens[REFRESH] = {"resource": uuid, "client_secret": SECRET}
    return uuid, token


@pytest.fixture
def credentials(fake_resource):
    return ResourceCredentials(
        access_token=fake_resource[1],
        refresh_token=REFRESH,
        expires_at=timezone.now() + timedelta(hours=8),
        client_secret=SECRET,
    )


@pytest.fixture
def client(fake_heroku, clock):
    return LifecycleClient(
        base_url=fake_heroku.url, timeout=2, sleep=clock.sleep, clock=clock, jitter=lambda: 1.0
    )


def test_the_write_policies_name_the_method_they_allow_to_repeat():
    assert CONFIG_WRITE_RETRY.allowed_methods == frozenset({"PATCH"})
    assert ACTION_RETRY.allowed_methods == frozenset({"POST"})
    # Everything else is the read policy's: the same attempts, statuses and back-off.
    for policy in (CONFIG_WRITE_RETRY, ACTION_RETRY):
        assert policy.total == READ_RETRY.total
        assert policy.status_forcelist == READ_RETRY.status_forcelist
        assert policy.backoff_factor == READ_RETRY.backoff_factor


def test_update_config_sends_every_var_and_answers_the_config(
    fake_heroku, client, fake_resource, credentials
):
    uuid, _ = fake_resource
    config = {"ACME_SEARCH_URL": "https://a.example/2", "ACME_SEARCH_KEY": "k"}
    assert client.update_config(uuid, config, credentials=credentials) == config
    [write] = fake_heroku.writes
    assert write["body"] == {
        "config": [
            {"name": "ACME_SEARCH_KEY", "value": "k"},
            {"name": "ACME_SEARCH_URL", "value": "https://a.example/2"},
        ]
    }
    assert fake_heroku.world.config[uuid] == config


def test_a_config_write_is_retried_after_a_5xx_and_after_a_reset(
    fake_heroku, client, clock, fake_resource, credentials
):
    uuid, _ = fake_resource
    path = f"/addons/{uuid}/config"
    fake_heroku.inject("503", match=path, times=1)
    client.update_config(uuid, {"ACME_SEARCH_URL": "a"}, credentials=credentials)
    assert fake_heroku.path_counts[path] == 2
    assert len(clock.sleeps) == 1  # one back-off, on the injected clock
    # A connection reset after the request left: the same PATCH again is harmless.
    fake_heroku.inject("reset", match=path, times=1)
    client.update_config(uuid, {"ACME_SEARCH_URL": "b"}, credentials=credentials)
    assert fake_heroku.world.config[uuid] == {"ACME_SEARCH_URL": "b"}


def test_the_provision_action_is_retried_and_answers_the_new_state(
    fake_heroku, client, fake_resource, credentials
):
    uuid, _ = fake_resource
    path = f"/addons/{uuid}/actions/provision"
    fake_heroku.inject("502", match=path, times=1)
    assert client.mark_provisioned(uuid, credentials=credentials) == "provisioned"
    assert fake_heroku.path_counts[path] == 2
    assert client.addon_state(uuid, credentials=credentials) == "provisioned"


def test_a_write_that_keeps_failing_is_retry_later_without_a_secret(
    fake_heroku, client, fake_resource, credentials
):
    uuid, token = fake_resource
    fake_heroku.inject("503", match=f"/addons/{uuid}/config")
    with pytest.raises(RetryLater, match="HTTP 503") as caught:
        client.update_config(uuid, {"ACME_SEARCH_URL": "a"}, credentials=credentials)
    assert fake_heroku.path_counts[f"/addons/{uuid}/config"] == 3
    assert token not in str(caught.value) and SECRET not in str(caught.value)


def test_a_refusal_is_not_retried(fake_heroku, client, fake_resource, credentials):
    uuid, _ = fake_resource
    with pytest.raises(HerokuAPIError) as caught:
        client.update_config(uuid, {"ACME_SEARCH_URL": 1}, credentials=credentials)
    assert not isinstance(caught.value, RetryLater)
    assert caught.value.status == 422
    assert fake_heroku.path_counts[f"/addons/{uuid}/config"] == 1


def test_an_expired_token_is_refreshed_once_and_the_write_sent_again(
    fake_heroku, client, fake_resource, credentials
):
    uuid, token = fake_resource
    fake_heroku.world.expire_token(token)
    assert client.mark_provisioned(uuid, credentials=credentials) == "provisioned"
    assert credentials.refreshed is not None
    assert credentials.access_token != token


def test_de_provisioning_an_add_on_heroku_has_forgotten_is_done(
    fake_heroku, client, fake_resource, credentials
):
    uuid, _ = fake_resource
    fake_heroku.world.remove_addon(uuid)
    assert client.mark_deprovisioned(uuid, credentials=credentials) == "deprovisioned"
    with pytest.raises(AddonGone):
        client.addon_state(uuid, credentials=credentials)


def test_an_answer_without_a_state_is_malformed(fake_heroku, client, fake_resource, credentials):
    uuid, _ = fake_resource
    fake_heroku.inject("malformed", match="/actions/provision", times=1)
    with pytest.raises(MalformedResponse):
        client.mark_provisioned(uuid, credentials=credentials)
