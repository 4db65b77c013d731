"""The Add-on Partner API, played as Heroku plays it, against the loopback fake's OAuth."""

import ast
import time
import uuid

import pytest
import requests
from django.db import connection
from django_q.models import Schedule

from addons.models import AddonResource, PartnerAPICall
from addons.partner_api import grants, services
from tests.addons.partner_api.partner_api import Heroku, basic_auth, provision_body

ACCEPT = {"Accept": "application/vnd.heroku+json; version=3"}


def raw_column(resource, column):
    """Return the value stored in the database for COLUMN, before any decryption."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM addons_addonresource WHERE id = %s",  # noqa: S608
            [resource.pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def heroku_resource(fake_heroku):
    """A resource the fake Heroku knows about (it has an app), not yet provisioned here."""
    resource_uuid, _ = fake_heroku.world.add_resource(plan="acme-search:basic")
    return uuid.UUID(resource_uuid)


@pytest.fixture
def grant_code(fake_heroku, heroku_resource, addon):
    return fake_heroku.world.create_grant(str(heroku_resource), addon.oauth_client_secret)


# Provisioning -----------------------------------------------------------------------------------
def test_provision_exchanges_the_grant_and_stores_tokens_encrypted(
    heroku, heroku_resource, grant_code, fake_heroku, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = heroku.provision(provision_body(heroku_resource, code=grant_code))

    assert response.status_code == 200
    assert response.json() == {
        "id": str(heroku_resource),
        "config": {"ACME_SEARCH_URL": f"https://portal.example.com/resources/{heroku_resource}"},
        "message": "Thanks for installing Acme Search. Open it from your app's add-on list.",
    }
    resource = AddonResource.objects.get(uuid=heroku_resource)
    assert resource.state == AddonResource.State.PROVISIONED
    assert resource.plan.slug == "basic"
    assert resource.region == "amazon-web-services::us-east-1"
    assert resource.grant_code == "" and resource.grant_error == ""
    assert resource.access_token and resource.refresh_token and resource.token_expires_at
    # Encrypted at rest: the column does not hold the token.
    assert resource.access_token not in raw_column(resource, "access_token")
    assert resource.refresh_token not in raw_column(resource, "refresh_token")
    # The token is the one Heroku issued for this resource: it reads the resource.
    answer = requests.get(
        f"{fake_heroku.url}/addons/{heroku_resource}",
        headers={**ACCEPT, "Authorization": f"Bearer {resource.access_token}"},
        timeout=5,
    )
    assert answer.status_code == 200
    # The first access-list sync, the webhook subscription and the line in the app's log are
    # left to the background.
    assert queued == [
        ("addons.access.tasks.sync_resource_task", resource.pk),
        ("addons.access.tasks.subscribe_resource_task", resource.pk),
        (
            "addons.lifecycle.tasks.write_log_line_task",
            resource.pk,
            "Acme Search is provisioned on the basic plan.",
        ),
    ]
    call = PartnerAPICall.objects.get()
    assert (call.method, call.status_code, call.addon) == ("POST", 200, resource.addon)
    assert call.resource_uuid == str(heroku_resource)
    assert call.outcome == "provisioned; tokens stored"


@pytest.mark.parametrize("plan_name", ["acme-search:pro", "pro", "acme-search:enterprise"])
def test_plan_may_be_named_with_or_without_the_addon(heroku, plan_name, queued):
    resource_uuid = uuid.uuid4()
    response = heroku.provision(provision_body(resource_uuid, plan=plan_name))
    assert response.status_code == 200
    resource = AddonResource.objects.get(uuid=resource_uuid)
    assert resource.plan.slug == plan_name.rpartition(":")[2]


def test_provision_without_a_grant_enqueues_no_sync(heroku, queued):
    resource_uuid = uuid.uuid4()
    response = heroku.provision(provision_body(resource_uuid))
    assert response.status_code == 200
    resource = AddonResource.objects.get(uuid=resource_uuid)
    assert resource.state == AddonResource.State.PROVISIONED
    assert not resource.access_token and not resource.grant_error
    assert queued == []


def test_repeated_delivery_is_answered_alike_without_a_second_row_or_exchange(
    heroku, heroku_resource, grant_code, fake_heroku, queued
):
    body = provision_body(heroku_resource, code=grant_code)
    first = heroku.provision(body)
    second = heroku.provision(body)

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert AddonResource.objects.filter(uuid=heroku_resource).count() == 1
    assert fake_heroku.paths().count("/oauth/token") == 1  # the single-use grant, spent once
    assert AddonResource.objects.get().grant_error == ""
    outcomes = list(PartnerAPICall.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["provisioned; tokens stored", "repeated delivery: answered as before"]


def test_repeat_with_another_plan_is_a_conflict(heroku, queued):
    resource_uuid = uuid.uuid4()
    heroku.provision(provision_body(resource_uuid, plan="basic"))
    response = heroku.provision(provision_body(resource_uuid, plan="pro"))
    assert response.status_code == 409
    assert "basic" in response.json()["message"]
    assert AddonResource.objects.get(uuid=resource_uuid).plan.slug == "basic"


def test_repeat_of_a_deprovisioned_resource_is_a_conflict(heroku, provisioned_resource):
    heroku.deprovision(provisioned_resource.uuid)
    response = heroku.provision(provision_body(provisioned_resource.uuid))
    assert response.status_code == 409
    provisioned_resource.refresh_from_db()
    assert provisioned_resource.state == AddonResource.State.DEPROVISIONED


def test_uuid_of_another_addons_resource_is_refused(
    client, provisioned_resource, other_addon, queued
):
    other = Heroku(client, other_addon)
    response = other.provision(provision_body(provisioned_resource.uuid, plan="basic"))
    assert response.status_code == 409
    provisioned_resource.refresh_from_db()
    assert provisioned_resource.addon_id != other_addon.pk


# Authentication ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "authorization",
    [
        False,  # no header at all
        "Bearer abc",
        "Basic not-base64!",
        basic_auth("acme-search", "wrong-password"),
        basic_auth("no-such-addon", "whatever"),
        basic_auth("acme-search", ""),
        "Basic " + "w6k=",  # not UTF-8 after decoding
    ],
)
def test_wrong_or_missing_credentials_get_401_and_write_nothing(heroku, authorization):
    resource_uuid = uuid.uuid4()
    response = heroku.provision(provision_body(resource_uuid), authorization=authorization)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert "message" in response.json()
    assert not AddonResource.objects.exists()
    call = PartnerAPICall.objects.get()
    assert call.status_code == 401 and call.outcome.startswith("unauthorized")


def test_credentials_of_another_addon_cannot_touch_this_addons_resources(
    client, provisioned_resource, other_addon
):
    other = Heroku(client, other_addon)
    assert other.change_plan(provisioned_resource.uuid, "basic").status_code == 404
    assert other.deprovision(provisioned_resource.uuid).status_code == 404
    provisioned_resource.refresh_from_db()
    assert provisioned_resource.state == AddonResource.State.PROVISIONED
    assert provisioned_resource.access_token == "access-token-value"


def test_credentials_of_another_addon_cannot_use_this_addons_plans(client, addon, other_addon):
    response = Heroku(client, other_addon).provision(
        provision_body(uuid.uuid4(), plan="acme-search:pro")
    )
    assert response.status_code == 422
    assert not AddonResource.objects.exists()


def test_method_not_allowed_is_answered_in_json(heroku):
    response = heroku.call("GET", "/heroku/resources")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert PartnerAPICall.objects.get().status_code == 405


# Bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"", 400),
        (b"{not json", 400),
        (b"\xff\xfe\x00", 400),
        (b"[1, 2]", 400),
        (b'"uuid"', 400),
        (b"[" * 5000 + b"]" * 5000, 400),
        (b'{"plan": "basic"}', 400),
        (b'{"uuid": "not-a-uuid", "plan": "basic"}', 400),
        (b'{"uuid": 42, "plan": "basic"}', 400),
        (b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01"}', 400),
        (b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", "plan": ["basic"]}', 400),
        (b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", "plan": "nope"}', 422),
        (b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", "plan": "other:basic"}', 422),
        (
            b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", "plan": "basic", "options": [1]}',
            400,
        ),
        (
            b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", "plan": "basic", '
            b'"oauth_grant": "code"}',
            400,
        ),
        (
            b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", "plan": "basic", '
            b'"oauth_grant": {"expires_at": "soon"}}',
            400,
        ),
        (
            b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", "plan": "basic", '
            b'"callback_url": "not a url"}',
            422,
        ),
        (
            b'{"uuid": "2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", "plan": "basic", "name": "'
            + b"n" * 300
            + b'"}',
            422,
        ),
    ],
)
def test_malformed_provisioning_gets_a_4xx_message_and_writes_nothing(heroku, raw, status):
    response = heroku.provision(None, raw=raw)
    assert response.status_code == status
    assert response.json()["message"]
    assert not AddonResource.objects.exists()
    assert PartnerAPICall.objects.get().status_code == status


def test_oversized_body_gets_413(heroku):
    body = provision_body(uuid.uuid4(), options={"padding": "x" * (70 * 1024)})
    response = heroku.provision(body)
    assert response.status_code == 413
    assert "message" in response.json()
    assert not AddonResource.objects.exists()


def test_an_unexpected_fault_answers_500_in_json_and_is_logged(heroku, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "provision_resource", broken)
    response = heroku.provision(provision_body(uuid.uuid4()))
    assert response.status_code == 500
    assert "message" in response.json()
    assert PartnerAPICall.objects.get().outcome == "internal error"


# Plan changes -----------------------------------------------------------------------------------
def test_plan_change(heroku, provisioned_resource):
    response = heroku.change_plan(provisioned_resource.uuid, "acme-search:pro")
    assert response.status_code == 200
    assert response.json() == {
        "message": "Your plan is now Pro.",
        "config": provisioned_resource.config,
    }
    provisioned_resource.refresh_from_db()
    assert provisioned_resource.plan.slug == "pro"
    # The same change delivered again is answered alike.
    assert heroku.change_plan(provisioned_resource.uuid, "pro").status_code == 200


@pytest.mark.parametrize("plan_name", ["nope", "other-cache:basic", "acme-search:", ""])
def test_refused_plan_change(heroku, provisioned_resource, other_addon, plan_name):
    response = heroku.change_plan(provisioned_resource.uuid, plan_name)
    assert response.status_code in (400, 422)
    assert response.json()["message"]
    provisioned_resource.refresh_from_db()
    assert provisioned_resource.plan.slug == "basic"


def test_plan_change_of_a_deprovisioned_resource_is_refused(heroku, provisioned_resource):
    heroku.deprovision(provisioned_resource.uuid)
    response = heroku.change_plan(provisioned_resource.uuid, "pro")
    assert response.status_code == 422
    assert "de-provisioned" in response.json()["message"]


def test_plan_change_of_an_unknown_resource_is_404(heroku, addon):
    assert heroku.change_plan(uuid.uuid4(), "pro").status_code == 404
    assert heroku.change_plan("not-a-uuid", "pro").status_code == 404


# De-provisioning --------------------------------------------------------------------------------
def test_deprovision_keeps_the_row_and_forgets_the_tokens(heroku, provisioned_resource):
    response = heroku.deprovision(provisioned_resource.uuid)

    assert response.status_code == 204
    assert response.content == b""
    resource = AddonResource.objects.get(pk=provisioned_resource.pk)
    assert resource.state == AddonResource.State.DEPROVISIONED
    assert resource.deprovisioned_at is not None
    assert raw_column(resource, "access_token") == ""
    assert raw_column(resource, "refresh_token") == ""
    assert raw_column(resource, "grant_code") == ""
    # The sync only takes provisioned resources.
    assert resource not in AddonResource.objects.provisioned()


def test_repeated_deprovision_is_harmless(heroku, provisioned_resource):
    heroku.deprovision(provisioned_resource.uuid)
    first = AddonResource.objects.get().deprovisioned_at
    response = heroku.deprovision(provisioned_resource.uuid)
    assert response.status_code == 204
    assert AddonResource.objects.get().deprovisioned_at == first


def test_deprovision_of_an_unknown_resource_is_404(heroku, addon):
    response = heroku.deprovision(uuid.uuid4())
    assert response.status_code == 404
    assert response.json()["message"]


# The OAuth grant failing ------------------------------------------------------------------------
def test_failed_grant_exchange_answers_fast_and_is_retried_in_the_background(
    heroku,
    heroku_resource,
    grant_code,
    fake_heroku,
    queued,
    django_capture_on_commit_callbacks,
):
    fake_heroku.inject("503", match="/oauth/token", times=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = heroku.provision(provision_body(heroku_resource, code=grant_code))

    # One attempt while Heroku waits for the answer: the retry is left to the background.
    assert fake_heroku.paths().count("/oauth/token") == 1
    assert response.status_code == 200
    assert response.json()["id"] == str(heroku_resource)
    resource = AddonResource.objects.get(uuid=heroku_resource)
    assert resource.state == AddonResource.State.PROVISIONED
    assert "HTTP 503" in resource.grant_error and "retrying" in resource.grant_error
    assert resource.grant_code == grant_code
    assert grant_code not in raw_column(resource, "grant_code")
    assert not resource.access_token
    # No access-list sync without tokens; only the line in the app's log is queued.
    assert [task[0] for task in queued] == ["addons.lifecycle.tasks.write_log_line_task"]
    queued.clear()
    assert "retry scheduled" in PartnerAPICall.objects.get().outcome
    retry = Schedule.objects.get(func="addons.partner_api.grants.retry_grant_exchange")
    assert retry.next_run > resource.updated_at

    # Later, the worker runs the retry: Heroku answers now.
    with django_capture_on_commit_callbacks(execute=True):
        assert grants.retry_grant_exchange(*ast.literal_eval(retry.args)) is True
    resource.refresh_from_db()
    assert resource.access_token and resource.grant_code == "" and resource.grant_error == ""
    assert queued == [
        ("addons.access.tasks.sync_resource_task", resource.pk),
        ("addons.access.tasks.subscribe_resource_task", resource.pk),
    ]


def test_a_hung_token_endpoint_is_cut_off_at_the_grant_exchange_timeout(
    heroku, heroku_resource, grant_code, hung_heroku, settings
):
    settings.HEROKU_ID_URL = hung_heroku.url  # id.heroku.com takes the request, never answers
    settings.GRANT_EXCHANGE_TIMEOUT = 0.1
    started = time.monotonic()
    response = heroku.provision(provision_body(heroku_resource, code=grant_code))
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.json()["id"] == str(heroku_resource)
    resource = AddonResource.objects.get()
    assert resource.state == AddonResource.State.PROVISIONED
    assert "ReadTimeout" in resource.grant_error  # cut off by the timeout: no answer ever came
    assert hung_heroku.connections == 1
    # The answer waited for the timeout (0.1 s) and nothing else; the bound is generous so that
    # a loaded machine does not fail it, and well below what any other wait would take (the
    # default timeout alone is 2 s).
    assert elapsed < settings.GRANT_EXCHANGE_TIMEOUT + 1.5


def test_the_grant_exchange_timeout_leaves_room_within_herokus_three_seconds():
    """Heroku wants the provisioning answer within 3 s; a hung grant exchange is cut off at
    GRANT_EXCHANGE_TIMEOUT (the test above), which leaves a second for everything else."""
    from django.conf import settings

    assert 0 < settings.GRANT_EXCHANGE_TIMEOUT <= 2.0


def test_refused_grant_is_not_retried_and_is_visible(heroku, heroku_resource, fake_heroku):
    code = fake_heroku.world.create_grant(str(heroku_resource), "not-the-client-secret")
    response = heroku.provision(provision_body(heroku_resource, code=code))
    assert response.status_code == 200
    resource = AddonResource.objects.get()
    assert "refused" in resource.grant_error
    assert resource.grant_code == ""
    assert not Schedule.objects.filter(
        func="addons.partner_api.grants.retry_grant_exchange"
    ).exists()


def test_retry_gives_up_once_the_grant_expired(heroku, heroku_resource, grant_code, fake_heroku):
    fake_heroku.inject("503", match="/oauth/token")
    heroku.provision(provision_body(heroku_resource, code=grant_code))
    resource = AddonResource.objects.get()
    AddonResource.objects.filter(pk=resource.pk).update(grant_expires_at="2000-01-01T00:00Z")

    assert grants.retry_grant_exchange(resource.pk, 1) is False
    resource.refresh_from_db()
    assert "expired" in resource.grant_error
    assert resource.grant_code == ""


def test_retries_stop_after_the_last_delay(heroku, heroku_resource, grant_code, fake_heroku):
    fake_heroku.inject("503", match="/oauth/token")
    heroku.provision(provision_body(heroku_resource, code=grant_code))
    resource = AddonResource.objects.get()
    last = len(grants.GRANT_RETRY_DELAYS)
    assert grants.retry_grant_exchange(resource.pk, last) is False
    resource.refresh_from_db()
    assert "gave up" in resource.grant_error and resource.grant_code == ""


def test_retry_does_nothing_for_a_deprovisioned_resource(
    heroku, heroku_resource, grant_code, fake_heroku
):
    fake_heroku.inject("503", match="/oauth/token", times=1)
    heroku.provision(provision_body(heroku_resource, code=grant_code))
    heroku.deprovision(heroku_resource)
    resource = AddonResource.objects.get()
    assert grants.retry_grant_exchange(resource.pk, 1) is False
    resource.refresh_from_db()
    assert resource.access_token == "" and resource.grant_code == ""


# The call log -----------------------------------------------------------------------------------
def test_the_call_log_holds_no_secret(
    heroku, heroku_resource, grant_code, fake_heroku, addon, queued, provisioned_resource
):
    body = provision_body(heroku_resource, code=grant_code)
    heroku.provision(body)
    heroku.provision(body, authorization=basic_auth(addon.slug, "guess"))
    heroku.change_plan(heroku_resource, "pro")
    heroku.deprovision(provisioned_resource.uuid)
    resource = AddonResource.objects.get(uuid=heroku_resource)
    secrets = [
        grant_code,
        addon.api_password,
        addon.oauth_client_secret,
        resource.access_token,
        resource.refresh_token,
        "access-token-value",
        heroku.authorization,
        "guess",
        body["log_drain_token"],
    ]
    logged = " ".join(
        str(value) for row in PartnerAPICall.objects.values() for value in row.values()
    )
    assert PartnerAPICall.objects.count() == 4
    for secret in secrets:
        assert secret not in logged
