"""The fake Heroku's lifecycle endpoints (add-on config, actions, Logplex input) answer as the
Platform API schema says, and record what they were told, in order, for the tests to assert.

The schema's definitions are those of ../shared/heroku/platform-api-schema.json, trimmed to what
validation reads (platform_api_schema_lifecycle.json beside this file)."""

import json
from pathlib import Path

import jsonschema_rs
import pytest
import requests

from addons.heroku.fake import FakeHeroku
from addons.heroku.fake.logplex import parse_frames

SCHEMA = json.loads((Path(__file__).parent / "platform_api_schema_lifecycle.json").read_text())
ACCEPT = {"Accept": "application/vnd.heroku+json; version=3"}


def validator(definition: str, *, array: bool = False):
    ref = {"$ref": f"#/definitions/{definition}"}
    root = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "definitions": SCHEMA["definitions"],
        **({"type": "array", "items": ref} if array else ref),
    }
    return jsonschema_rs.Draft4Validator(root)


def assert_valid(payload, definition: str, *, array: bool = False):
    errors = [error.message for error in validator(definition, array=array).iter_errors(payload)]
    assert not errors, f"not a valid {definition}: {errors}"


@pytest.fixture
def provisioning(fake_heroku):
    """An add-on the fake knows, still provisioning: (uuid, its token)."""
    return fake_heroku.world.add_resource(state="provisioning")


def call(fake, method, path, token, body=None):
    return requests.request(
        method,
        fake.url + path,
        json=body,
        headers={**ACCEPT, "Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_the_validator_refuses_what_the_schema_refuses():
    """The check can fail: an add-on without its required properties is refused."""
    assert not validator("add-on").is_valid({"id": "x", "state": "provisioned"})
    assert not validator("add-on-config", array=True).is_valid([{"name": 1, "value": "v"}])


def test_the_add_on_the_fake_serves_is_a_valid_add_on(fake_heroku, provisioning):
    uuid, token = provisioning
    answer = call(fake_heroku, "GET", f"/addons/{uuid}", token)
    assert answer.status_code == 200
    assert_valid(answer.json(), "add-on")
    assert answer.json()["state"] == "provisioning"


def test_patch_config_answers_the_config_as_a_list_of_add_on_configs(fake_heroku, provisioning):
    uuid, token = provisioning
    body = {"config": [{"name": "ACME_SEARCH_URL", "value": "https://a.example/1"}]}

    answer = call(fake_heroku, "PATCH", f"/addons/{uuid}/config", token, body)

    assert answer.status_code == 200
    assert_valid(answer.json(), "add-on-config", array=True)
    assert answer.json() == [{"name": "ACME_SEARCH_URL", "value": "https://a.example/1"}]
    listed = call(fake_heroku, "GET", f"/addons/{uuid}/config", token)
    assert listed.json() == answer.json()
    # A null value removes the var, as on Heroku; the add-on lists the names it sets.
    call(
        fake_heroku,
        "PATCH",
        f"/addons/{uuid}/config",
        token,
        {"config": [{"name": "ACME_SEARCH_URL", "value": None}]},
    )
    assert fake_heroku.world.config[uuid] == {}


@pytest.mark.parametrize(
    "body",
    [{"config": "x"}, {"config": [{"value": "v"}]}, {"config": [{"name": "A", "value": 1}]}, []],
)
def test_a_malformed_patch_is_refused_with_invalid_params(fake_heroku, provisioning, body):
    uuid, token = provisioning
    answer = call(fake_heroku, "PATCH", f"/addons/{uuid}/config", token, body)
    assert answer.status_code == 422
    assert answer.json()["id"] == "invalid_params"
    assert fake_heroku.writes == []


@pytest.mark.parametrize(
    "action,state", [("provision", "provisioned"), ("deprovision", "deprovisioned")]
)
def test_an_action_answers_the_add_on_in_its_new_state(fake_heroku, provisioning, action, state):
    uuid, token = provisioning
    answer = call(fake_heroku, "POST", f"/addons/{uuid}/actions/{action}", token)
    assert answer.status_code == 200
    assert_valid(answer.json(), "add-on")
    assert answer.json()["state"] == state
    assert call(fake_heroku, "GET", f"/addons/{uuid}/actions/{action}", token).status_code == 405


def test_the_calls_are_recorded_in_order_and_only_the_resources_own_token_may_write(
    fake_heroku, provisioning
):
    uuid, token = provisioning
    other, other_token = fake_heroku.world.add_resource()
    config = {"config": [{"name": "ACME_SEARCH_URL", "value": "v"}]}
    assert (
        call(fake_heroku, "PATCH", f"/addons/{uuid}/config", other_token, config).status_code == 403
    )
    call(fake_heroku, "PATCH", f"/addons/{uuid}/config", token, config)
    call(fake_heroku, "POST", f"/addons/{uuid}/actions/provision", token)
    call(fake_heroku, "PATCH", f"/addons/{other}/config", other_token, config)

    assert fake_heroku.writes_of(uuid) == [
        f"PATCH /addons/{uuid}/config",
        f"POST /addons/{uuid}/actions/provision",
    ]
    assert fake_heroku.writes[0]["body"] == config


def test_the_log_input_keeps_each_line_and_refuses_what_logplex_would():
    with FakeHeroku(record=False) as fake:
        url = f"{fake.url}/log-input/t"
        line = b"<190>1 2026-01-01T00:00:00+00:00 host acme-search lifecycle - hello"
        frame = str(len(line)).encode() + b" " + line
        headers = {"Content-Type": "application/logplex-1", "Logplex-Msg-Count": "1"}
        assert requests.post(url, data=frame, headers=headers, timeout=5).status_code == 204
        plain = {"Content-Type": "text/plain"}
        assert requests.post(url, data=frame, headers=plain, timeout=5).status_code == 415
        bad = requests.post(url, data=b"99 short", headers=headers, timeout=5)
        assert bad.status_code == 400
        assert [entry["line"] for entry in fake.log_lines] == [line.decode()]


def test_frames_are_parsed_by_their_octet_counts():
    assert parse_frames(b"3 abc2 de") == ["abc", "de"]
    assert parse_frames(b"") is None
    assert parse_frames(b"x abc") is None


def test_a_fake_in_another_process_is_driven_through_its_control_api(fake_heroku):
    """The control API reads what a test in another process needs: writes, add-on, log lines."""
    uuid, token = fake_heroku.world.add_resource(state="provisioning")
    call(
        fake_heroku,
        "PATCH",
        f"/addons/{uuid}/config",
        token,
        {"config": [{"name": "ACME_SEARCH_URL", "value": "v"}]},
    )
    control = lambda route, body: requests.post(  # noqa: E731
        f"{fake_heroku.url}/_fake/{route}", json=body, timeout=5
    ).json()
    assert [w["path"] for w in control("writes", {"resource": uuid})] == [f"/addons/{uuid}/config"]
    assert control("addon", {"resource": uuid})["config"] == {"ACME_SEARCH_URL": "v"}
    assert control("addon", {"resource": uuid})["addon"]["state"] == "provisioning"
    assert control("log-lines", {}) == []
    created = control("resources", {"state": "provisioning"})
    assert fake_heroku.world.addons[created["uuid"]]["state"] == "provisioning"
