"""Add-on webhook subscriptions: made with the resource's own token when its tokens arrive, and for
existing resources by a command; their secrets stored encrypted; removed on de-provisioning; a
failure or refusal leaves the resource to the schedule, and says so."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from addons.access import tasks
from addons.access.webhooks.subscriptions import (
    EVENTS,
    UNSUBSCRIBE_TASK,
    receiver_url,
    retire_subscription,
    subscribe_resource,
)
from addons.models import AddonResource, WebhookSubscription
from addons.partner_api.grants import SUBSCRIBE_TASK, exchange_resource_grant
from tests.builders import CLIENT_SECRET

pytestmark = pytest.mark.django_db

Status = WebhookSubscription.Status


@pytest.fixture
def resource_with_token(make_resource):
    """A personal app's resource with tokens the fake Heroku accepts, never subscribed."""
    return make_resource(collaborators=["ann@example.com"])


def test_a_resource_is_subscribed_with_its_own_token_and_secrets(fake_heroku, resource_with_token):
    subscription = subscribe_resource(resource=resource_with_token)

    assert subscription.status == Status.ACTIVE
    [webhook] = fake_heroku.world.webhooks.values()
    assert webhook["id"] == subscription.heroku_id
    assert webhook["addon"]["id"] == str(resource_with_token.uuid)
    assert webhook["level"] == "sync"
    assert sorted(webhook["include"]) == sorted(EVENTS)
    assert webhook["url"] == receiver_url(subscription)
    assert str(subscription.public_id) in webhook["url"]
    assert webhook["authorization"] == subscription.authorization
    assert webhook["secret"] == subscription.secret
    [(method, path, headers)] = [r for r in fake_heroku.requests if r[0] == "POST"]
    assert headers["Authorization"] == f"Bearer {resource_with_token.access_token}"


def test_the_secrets_are_stored_encrypted(resource_with_token):
    subscription = subscribe_resource(resource=resource_with_token)
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "authorization", "secret" FROM addons_webhooksubscription WHERE id = %s',
            [subscription.pk],
        )
        stored = cursor.fetchone()
    assert subscription.secret not in stored[1]
    assert subscription.authorization not in stored[0]


def test_each_subscription_has_its_own_secrets(make_resource):
    first = subscribe_resource(resource=make_resource())
    second = subscribe_resource(resource=make_resource())
    assert first.secret != second.secret
    assert first.authorization != second.authorization


def test_subscribing_again_never_doubles_the_webhook(fake_heroku, resource_with_token):
    subscription = subscribe_resource(resource=resource_with_token)
    # An earlier attempt reached Heroku but its answer was lost: the row says failed.
    WebhookSubscription.objects.filter(pk=subscription.pk).update(status=Status.FAILED)
    again = subscribe_resource(resource=resource_with_token)
    assert again.status == Status.ACTIVE
    assert len(fake_heroku.world.webhooks) == 1
    assert subscribe_resource(resource=resource_with_token).status == Status.ACTIVE
    assert len(fake_heroku.world.webhooks) == 1


@pytest.mark.parametrize(("fault", "status"), [("403", Status.REFUSED), ("503", Status.FAILED)])
def test_a_refused_or_failed_subscription_is_recorded(
    fake_heroku, resource_with_token, fault, status
):
    fake_heroku.inject(fault, match="/webhooks")
    subscription = subscribe_resource(resource=resource_with_token)
    assert subscription.status == status
    assert subscription.error
    assert fake_heroku.world.webhooks == {}


def test_a_resource_without_a_token_is_not_subscribed(fake_heroku, resource_with_token):
    AddonResource.objects.filter(pk=resource_with_token.pk).update(access_token="")
    resource_with_token.refresh_from_db()
    subscription = subscribe_resource(resource=resource_with_token)
    assert subscription.status == Status.FAILED
    assert fake_heroku.count == 0


def test_the_grant_exchange_queues_the_subscription(
    fake_heroku, addon, plan, queued, django_capture_on_commit_callbacks
):
    uuid, _ = fake_heroku.world.add_resource()
    code = fake_heroku.world.create_grant(uuid, CLIENT_SECRET)
    resource = AddonResource.objects.create(
        uuid=uuid,
        addon=addon,
        plan=plan,
        state=AddonResource.State.PROVISIONED,
        grant_code=code,
        grant_expires_at=timezone.now() + timedelta(minutes=5),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert exchange_resource_grant(resource)
    assert (SUBSCRIBE_TASK, resource.pk) in queued
    assert tasks.subscribe_resource_task(resource.pk) == Status.ACTIVE
    assert len(fake_heroku.world.webhooks) == 1


def test_de_provisioning_removes_the_webhook(
    fake_heroku, resource_with_token, queued, django_capture_on_commit_callbacks
):
    subscription = subscribe_resource(resource=resource_with_token)
    with django_capture_on_commit_callbacks(execute=True):
        retire_subscription(
            resource=resource_with_token, access_token=resource_with_token.access_token
        )
    assert (UNSUBSCRIBE_TASK, subscription.pk) in queued
    subscription.refresh_from_db()
    assert subscription.status == Status.RETIRING
    assert tasks.unsubscribe_task(subscription.pk) == Status.REMOVED
    assert fake_heroku.world.webhooks == {}
    subscription.refresh_from_db()
    assert subscription.retire_token == ""


def test_the_partner_api_de_provisioning_retires_the_subscription(
    heroku, resource_with_token, queued
):
    subscription = subscribe_resource(resource=resource_with_token)
    answer = heroku.deprovision(resource_with_token.uuid)
    assert answer.status_code == 204
    subscription.refresh_from_db()
    assert subscription.status == Status.RETIRING
    assert subscription.retire_token  # the token de-provisioning forgot, kept for the removal


def test_the_command_subscribes_existing_resources(fake_heroku, make_resource, capsys):
    make_resource()  # no subscription row at all
    second = make_resource()
    WebhookSubscription.objects.create(resource=second, status=Status.PENDING)
    call_command("subscribe_webhooks", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["active"] == 2 and report["failures"] == []
    assert len(fake_heroku.world.webhooks) == 2
    call_command("subscribe_webhooks", "--json")  # nothing left to do
    assert json.loads(capsys.readouterr().out)["resources"] == 0


def test_the_command_exits_1_when_a_subscription_fails(fake_heroku, make_resource):
    make_resource()
    fake_heroku.inject("422", match="/webhooks")
    with pytest.raises(CommandError) as raised:
        call_command("subscribe_webhooks")
    assert raised.value.returncode == 1


@pytest.mark.parametrize("args", [["--resource", "not-a-uuid"], ["--limit", "0"]])
def test_the_command_refuses_bad_usage(db, args):
    with pytest.raises(CommandError) as raised:
        call_command("subscribe_webhooks", *args)
    assert raised.value.returncode == 2


def test_the_schedule_subscribes_the_pending_and_prunes_old_delivery_ids(
    fake_heroku, resource_with_token
):
    report = tasks.subscribe_pending_task()
    assert report["active"] == 1 and report["deliveries_pruned"] == 0
    assert len(fake_heroku.world.webhooks) == 1
