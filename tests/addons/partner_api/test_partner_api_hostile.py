"""Hostile input to the Add-on Partner API: never a 500, never a half-written row.

Every refused call leaves AddonResource exactly as it was; every accepted provision adds exactly one
complete row. Every call, refused or not, adds one line to the call log.
"""

import base64
import json
import uuid

import hypothesis
import pytest
from hypothesis import strategies as st

from addons.models import AddonResource, PartnerAPICall
from tests.addons.partner_api.partner_api import basic_auth, provision_body
from tests.hostile import (
    HOSTILE_SETTINGS,
    SURROGATES,
    any_json,
    field_changes,
    field_removals,
    hostile_text,
    json_only_text,
    nasty_text,
    nested_json_text,
    nesting_depths,
)

pytestmark = pytest.mark.django_db

PROVISION_FIELDS = [
    "uuid",
    "name",
    "plan",
    "region",
    "callback_url",
    "options",
    "oauth_grant",
    "log_input_url",
    "log_drain_token",
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "",
]
REFUSALS = {400, 404, 409, 413, 422}


def snapshot():
    return list(
        AddonResource.objects.order_by("pk").values_list(
            "pk", "uuid", "plan_id", "state", "name", "region", "options", "updated_at"
        )
    )


def assert_clear_refusal(response):
    assert response.status_code in REFUSALS, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    assert response.json()["message"]


def assert_complete(resource: AddonResource, body: dict, addon):
    # Compare with the body as the portal receives it: JSON escapes a surrogate pair as two
    # \uXXXX escapes, which decode to the one character they encode.
    body = json.loads(json.dumps(body))
    assert resource.addon_id == addon.pk
    assert resource.state == AddonResource.State.PROVISIONED
    assert resource.plan.addon_id == addon.pk
    assert resource.config and all(resource.config.values())
    assert resource.name == (body.get("name") or "")
    assert resource.options == (body.get("options") or {})


@HOSTILE_SETTINGS
@hypothesis.given(
    changes=field_changes(PROVISION_FIELDS), removals=field_removals(PROVISION_FIELDS)
)
def test_any_provision_body_is_served_or_refused_cleanly(heroku, addon, changes, removals):
    body = provision_body(uuid.uuid4()) | changes
    for name in removals:
        body.pop(name, None)
    before, calls = snapshot(), PartnerAPICall.objects.count()

    response = heroku.provision(body)

    assert PartnerAPICall.objects.count() == calls + 1
    if response.status_code == 200:
        answer = response.json()
        assert set(answer) == {"id", "config", "message"}
        resource = AddonResource.objects.get(uuid=answer["id"])
        assert len(snapshot()) == len(before) + 1
        assert_complete(resource, body, addon)
    else:
        assert_clear_refusal(response)
        assert snapshot() == before


@HOSTILE_SETTINGS
@hypothesis.given(body=any_json)
def test_any_json_document_as_a_provision_body_is_refused_cleanly(heroku, body):
    before = snapshot()

    response = heroku.provision(body)

    # A document without a valid uuid and plan is never a provision.
    assert_clear_refusal(response)
    assert snapshot() == before


@HOSTILE_SETTINGS
@hypothesis.given(
    raw=st.binary(max_size=200)
    | st.sampled_from(
        [
            b"[" * 100_000,
            b'{"uuid": "' + b"\xff\xfe" * 10 + b'"}',
            b'{"uuid": "\\ud800"}',
            b"\x00" * 64,
            b'{"a": 1, "a": 2}',
            b"1e999999",
            b"\xef\xbb\xbf{}",
        ]
    ),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_any_bytes_with_any_content_type_are_refused_cleanly(client, addon, raw, content_type):
    before = snapshot()

    response = client.generic(
        "POST",
        "/heroku/resources",
        data=raw,
        content_type=content_type,
        headers={"Authorization": basic_auth(addon.slug, addon.api_password)},
    )

    assert_clear_refusal(response)
    assert snapshot() == before


# Text with at least one NUL or lone surrogate somewhere in it, among nasty characters.
unstorable_text = st.tuples(
    nasty_text, st.sampled_from(["\x00", *SURROGATES]), nasty_text | json_only_text
).map("".join)


@HOSTILE_SETTINGS
@hypothesis.given(value=unstorable_text, field=st.sampled_from(["name", "region"]))
def test_nul_and_surrogates_in_stored_fields_are_422_not_500(heroku, field, value):
    # A high surrogate before a low one is a valid pair once it has been through JSON.
    received = json.loads(json.dumps(value))
    hypothesis.assume("\x00" in received or any("\ud800" <= c <= "\udfff" for c in received))
    before = snapshot()

    response = heroku.provision(provision_body(uuid.uuid4(), **{field: value}))

    assert_clear_refusal(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    "options",
    [{"k": "a\x00b"}, {"a\x00": 1}, {"k": ["\ud800"]}, {"deep": {"deeper": ["ok", "\x00"]}}],
)
def test_nul_and_surrogates_in_options_are_422(heroku, options):
    response = heroku.provision(provision_body(uuid.uuid4(), options=options))

    assert_clear_refusal(response)
    assert response.status_code == 422
    assert not AddonResource.objects.exists()


@HOSTILE_SETTINGS
@hypothesis.given(changes=field_changes(["plan", "x"]), removals=field_removals(["plan"]))
def test_any_plan_change_body_is_served_or_refused_cleanly(
    heroku, provisioned_resource, changes, removals
):
    body = {"plan": "acme-search:pro"} | changes
    for name in removals:
        body.pop(name, None)
    before = snapshot()

    response = heroku.call("PUT", f"/heroku/resources/{provisioned_resource.uuid}", body)

    if response.status_code == 200:
        provisioned_resource.refresh_from_db()
        assert provisioned_resource.plan.slug in {"basic", "pro", "enterprise"}
        assert len(snapshot()) == len(before)
    else:
        assert_clear_refusal(response)
        assert snapshot() == before


@HOSTILE_SETTINGS
@hypothesis.given(segment=hostile_text, method=st.sampled_from(["PUT", "DELETE"]))
def test_any_resource_path_is_404_or_served(heroku, provisioned_resource, segment, method):
    hypothesis.assume(segment and "/" not in segment)
    from urllib.parse import quote

    before = snapshot()

    response = heroku.call(method, "/heroku/resources/" + quote(segment, safe=""), {"plan": "pro"})

    assert response.status_code in {404, 400}, (response.status_code, response.content[:200])
    assert snapshot() == before


@HOSTILE_SETTINGS
@hypothesis.given(user=hostile_text | json_only_text, secret=hostile_text)
def test_any_basic_auth_credentials_are_401(heroku, user, secret):
    raw = f"{user}:{secret}".encode("utf-8", "surrogatepass")
    authorization = "Basic " + base64.b64encode(raw).decode()
    before = snapshot()

    response = heroku.provision(provision_body(uuid.uuid4()), authorization=authorization)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert snapshot() == before


@pytest.mark.parametrize(
    "authorization",
    ["Basic", "Basic !!!", "Basic " + "A" * 100_000, "Bearer x", "basic Og==", "Basic AA=="],
)
def test_malformed_authorization_headers_are_401(heroku, authorization):
    response = heroku.provision(provision_body(uuid.uuid4()), authorization=authorization)

    assert response.status_code == 401
    assert not AddonResource.objects.exists()


def test_a_body_just_over_the_limit_is_413_and_logged(heroku):
    body = provision_body(uuid.uuid4(), name="x" * 70_000)

    response = heroku.call("POST", "/heroku/resources", raw=json.dumps(body).encode())

    assert response.status_code == 413
    assert PartnerAPICall.objects.get().status_code == 413


@pytest.mark.parametrize(
    "expires_at",
    [
        "2026-13-45T00:00:00Z",  # well-formed, impossible: parse_datetime raises
        "2026-01-01T25:00:00Z",
        "2026-01-01T00:00:00+99:00",
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "soon",
        12345,
        None,
    ],
)
def test_any_grant_expiry_provisions_with_the_usual_lifetime(heroku, fake_heroku, expires_at):
    body = provision_body(uuid.uuid4(), code="a-code-heroku-never-issued")
    body["oauth_grant"]["expires_at"] = expires_at

    response = heroku.provision(body)

    assert response.status_code == 200, response.content
    assert AddonResource.objects.get().state == AddonResource.State.PROVISIONED


@hypothesis.settings(HOSTILE_SETTINGS, max_examples=40)  # each one exchanges a grant over HTTP
@hypothesis.given(
    moment=st.datetimes(timezones=st.timezones() | st.just(None)),
    offset=st.sampled_from(["Z", "+23:59", "-23:59", "+00:00", ""]),
)
def test_any_datetime_as_grant_expiry_is_200(heroku, fake_heroku, moment, offset):
    body = provision_body(uuid.uuid4(), code="a-code-heroku-never-issued")
    body["oauth_grant"]["expires_at"] = moment.replace(tzinfo=None).isoformat() + offset

    response = heroku.provision(body)

    assert response.status_code == 200, response.content


# Nesting depth and the one-line rule (issue 13) ---------------------------------------------
def nested(depth: int):
    value = "leaf"
    for level in range(depth):
        value = {f"k{level}": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize("depth", [5, 100, 9_000, 20_000])
def test_options_nested_too_deep_are_400_naming_options(heroku, depth):
    body = json.dumps(provision_body(uuid.uuid4(), options={}))
    # Built as text: past about 10,000 levels Python's own json.dumps would fail too.
    raw = body.replace('"options": {}', '"options": {"a": ' + "[" * depth + "]" * depth + "}")

    response = heroku.call("POST", "/heroku/resources", raw=raw.encode())

    assert_clear_refusal(response)
    assert response.status_code == 400
    assert response.json()["message"].startswith("“options” nests arrays and objects more than 5")
    assert not AddonResource.objects.exists()
    assert PartnerAPICall.objects.get().status_code == 400


def test_options_five_levels_deep_are_provisioned_as_sent(heroku, addon):
    options = {"a": nested(4), "b": [1, {"c": True}]}

    response = heroku.provision(provision_body(uuid.uuid4(), options=options))

    assert response.status_code == 200, response.content
    assert AddonResource.objects.get().options == options


@pytest.mark.parametrize("field", ["log_input_url", "oauth_grant", "an_unknown_field"])
def test_any_field_nested_too_deep_is_400_naming_it(heroku, field):
    response = heroku.provision(provision_body(uuid.uuid4(), **{field: nested(6)}))

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"“{field}” nests arrays and objects")
    assert not AddonResource.objects.exists()


@pytest.mark.parametrize("field", ["name", "region", "plan", "callback_url"])
@pytest.mark.parametrize("value", ["a\nb", "a\tb", "\x1b[2Ja", "a\u2028b", "a\u202eb"])
def test_one_line_fields_refuse_control_characters(heroku, field, value):
    body = provision_body(uuid.uuid4())
    body[field] = body[field] + value

    response = heroku.provision(body)

    assert_clear_refusal(response)
    assert response.status_code == 422
    assert response.json()["message"].startswith(f"“{field}” contains control")
    assert not AddonResource.objects.exists()


def test_a_plan_change_refuses_a_plan_that_is_not_one_line(heroku, provisioned_resource):
    response = heroku.change_plan(provisioned_resource.uuid, "acme-search:pro\n")

    assert_clear_refusal(response)
    assert response.status_code == 422
    provisioned_resource.refresh_from_db()
    assert provisioned_resource.plan.slug == "basic"


@HOSTILE_SETTINGS
@hypothesis.given(
    field=st.sampled_from([*PROVISION_FIELDS, "an_unknown_field"]),
    depth=nesting_depths,
    kind=st.sampled_from(["[", "{", "[{"]),
)
def test_a_field_nested_at_any_depth_is_served_or_refused_naming_it(heroku, field, depth, kind):
    marker = "NESTED-VALUE-MARKER"
    raw = json.dumps(provision_body(uuid.uuid4(), **{field: marker}))
    raw = raw.replace(f'"{marker}"', nested_json_text(depth, kind))
    before = snapshot()

    response = heroku.call("POST", "/heroku/resources", raw=raw.encode())

    if depth > 5 and len(raw) <= 64 * 1024:  # larger: 413 before it is read
        assert response.status_code == 400, response.content[:300]
        assert response.json()["message"].startswith(f"“{field}” nests arrays and objects")
    if response.status_code == 200:
        assert len(snapshot()) == len(before) + 1
    else:
        assert_clear_refusal(response)
        assert snapshot() == before


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("field", ["options", "an_unknown_field"])
def test_a_number_json_cannot_store_is_400_naming_the_field(heroku, field, number):
    # Python reads these as inf and nan; json.dumps writes them back as Infinity and NaN, which
    # neither SQLite's nor PostgreSQL's JSON accepts: a 500 on both, and Heroku retries a 500.
    raw = json.dumps(provision_body(uuid.uuid4(), **{field: {"a": ["X"]}})).replace('"X"', number)

    response = heroku.call("POST", "/heroku/resources", raw=raw.encode())

    assert_clear_refusal(response)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"“{field}” holds a number")
    assert not AddonResource.objects.exists()
