"""The add-on webhook receiver, with deliveries from the fake Heroku: authentic ones re-fetch the
list through the sync (a collaborator destroy removes the person at once), and hostile ones get a
4xx naming the problem and change nothing."""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from addons.access import tasks
from addons.access.webhooks.receiver import DELIVERY_TASK
from addons.models import AccessChange, AccessGrant, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def emails(resource):
    return set(AccessGrant.objects.filter(resource=resource).values_list("email", flat=True))


def run_queued(queued):
    """Run the delivery tasks queued so far, as a worker would; return their results."""
    results = [
        tasks.webhook_delivery_task(args[0]) for func, *args in queued if func == DELIVERY_TASK
    ]
    queued.clear()
    return results


@pytest.fixture
def deliver(fake_heroku, queued, django_capture_on_commit_callbacks):
    """Send the fake's pending deliveries to the receiver, then run the work they queued."""

    def deliver(*, work: bool = True):
        with django_capture_on_commit_callbacks(execute=True):
            fake_heroku.dispatcher.drain()
        return run_queued(queued) if work else None

    return deliver


def test_a_removed_collaborator_loses_access_at_once_and_the_list_is_re_fetched(
    fake_heroku, subscribed_resource, deliver, webhook_transport
):
    fake_heroku.world.remove_collaborator(str(subscribed_resource.uuid), "ann@example.com")
    deliver(work=False)
    assert webhook_transport.answers == [204]
    assert "ann@example.com" not in emails(subscribed_resource)  # before any re-fetch
    assert AccessChange.objects.filter(
        resource=subscribed_resource, email="ann@example.com", change="removed"
    ).exists()


def test_each_event_re_fetches_the_list_through_the_sync(fake_heroku, subscribed_resource, deliver):
    fake_heroku.world.add_collaborator(str(subscribed_resource.uuid), "cat@example.com")
    assert deliver() == ["synced"]
    assert emails(subscribed_resource) == fake_heroku.world.expected_emails(
        str(subscribed_resource.uuid)
    )


def test_an_authentic_event_body_alone_grants_nothing(
    client, fake_heroku, subscribed_resource, queued, django_capture_on_commit_callbacks
):
    """A correctly signed create naming someone Heroku does not list gives them no access."""
    subscription = subscribed_resource.webhook_subscription
    body = delivery_body(subscription, email="mallory@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, subscription, body)
    assert answer.status_code == 204
    run_queued(queued)
    assert "mallory@example.com" not in emails(subscribed_resource)


def test_reordered_deliveries_end_in_heroku_s_truth(fake_heroku, subscribed_resource, deliver):
    uuid_ = str(subscribed_resource.uuid)
    fake_heroku.dispatcher.hold()
    fake_heroku.world.add_collaborator(uuid_, "cat@example.com")
    fake_heroku.world.remove_collaborator(uuid_, "cat@example.com")
    fake_heroku.world.remove_collaborator(uuid_, "bob@example.com")
    fake_heroku.dispatcher.reorder()
    fake_heroku.dispatcher.release()
    deliver()
    assert emails(subscribed_resource) == fake_heroku.world.expected_emails(uuid_)


def test_a_retried_delivery_is_accepted_once(fake_heroku, subscribed_resource, deliver):
    """Heroku retries a delivery whose answer it did not get: a new attempt of the same delivery
    is answered 204 and does nothing more."""
    fake_heroku.world.add_collaborator(str(subscribed_resource.uuid), "cat@example.com")
    deliver()
    delivery = fake_heroku.dispatcher.deliveries[-1]
    fake_heroku.dispatcher._attempt(delivery)  # another attempt: a new attempt id
    assert delivery.answers[-1] == 204
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("what", ["addon", "app"])
def test_a_destroyed_add_on_or_app_marks_the_resource(
    fake_heroku, subscribed_resource, deliver, what
):
    if what == "app":
        fake_heroku.world.destroy_app(str(subscribed_resource.uuid))
    else:
        fake_heroku.world.remove_addon(str(subscribed_resource.uuid))
    results = deliver()
    assert any(result.startswith("marked") for result in results)
    subscribed_resource.refresh_from_db()
    assert subscribed_resource.sync_status == "failed"
    assert "destroyed" in subscribed_resource.sync_error


# Hostile deliveries ----------------------------------------------------------------------------
def delivery_body(
    subscription, *, email="ann@example.com", action="create", created_at=None, **ids
) -> bytes:
    resource = subscription.resource
    ids = {"attempt": str(uuid.uuid4()), "delivery": str(uuid.uuid4()), **ids}
    ids.setdefault("event", str(uuid.uuid4()))
    payload = {
        "id": ids["event"],
        "created_at": created_at or timezone.now().isoformat(),
        "action": action,
        "resource": "collaborator",
        "data": {"user": {"email": email, "id": "u1"}, "app": {"id": resource.app_id}},
        "webhook_metadata": {
            "attempt": {"id": ids["attempt"]},
            "delivery": {"id": ids["delivery"]},
            "event": {"id": ids["event"], "include": "api:collaborator"},
            "webhook": {"id": subscription.heroku_id},
        },
    }
    return json.dumps(payload).encode()


def signed(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(client, subscription, body, *, content_type="application/json", **headers):
    headers = {
        "Authorization": subscription.authorization,
        "Heroku-Webhook-Hmac-SHA256": signed(subscription.secret, body),
        **headers,
    }
    headers = {k: v for k, v in headers.items() if v is not None}
    url = f"/heroku/webhooks/{subscription.public_id}"
    return client.generic("POST", url, body, content_type=content_type, headers=headers)


def _forged(client, s):
    body = delivery_body(s, action="destroy")
    return post(client, s, body, **{"Heroku-Webhook-Hmac-SHA256": signed("guess", body)})


def _wrong_authorization(client, s):
    return post(client, s, delivery_body(s, action="destroy"), Authorization="Bearer guess")


def _unknown_subscription(client, s):
    body = delivery_body(s, action="destroy")
    url = f"/heroku/webhooks/{uuid.uuid4()}"
    headers = {
        "Authorization": s.authorization,
        "Heroku-Webhook-Hmac-SHA256": signed(s.secret, body),
    }
    return client.generic("POST", url, body, content_type="application/json", headers=headers)


def seen_before(s):
    """Record delivery d-1 (event e-1, attempt a-1) as accepted by S before the test."""
    WebhookDelivery.objects.create(
        subscription=s,
        delivery_id="d-1",
        event_id="e-1",
        attempt_id="a-1",
        resource_type="collaborator",
        action="destroy",
        received_at="2026-01-01T00:00:00Z",
    )


def _replayed_delivery(client, s):
    body = delivery_body(s, action="destroy", delivery="d-1", attempt="a-1", event="e-1")
    return post(client, s, body)


def _replayed_event(client, s):
    return post(client, s, delivery_body(s, action="destroy", event="e-1"))


def _malformed_json(client, s):
    return post(client, s, b'{"id": "truncated')


def _not_a_delivery(client, s):
    return post(client, s, json.dumps({"id": "x", "resource": "collaborator"}).encode())


def _another_webhook(client, s):
    body = json.loads(delivery_body(s, action="destroy"))
    body["webhook_metadata"]["webhook"]["id"] = str(uuid.uuid4())
    return post(client, s, json.dumps(body).encode())


def _wrong_content_type(client, s):
    return post(client, s, delivery_body(s, action="destroy"), content_type="text/plain")


def _huge_body(client, s):
    body = delivery_body(s, action="destroy")[:-1] + b', "pad": "' + b"x" * 300_000 + b'"}'
    return post(client, s, body)


def _missing_headers(client, s):
    body = delivery_body(s, action="destroy")
    return post(client, s, body, Authorization=None, **{"Heroku-Webhook-Hmac-SHA256": None})


def _too_old(client, s):
    old = (timezone.now() - timedelta(days=9)).isoformat()
    return post(client, s, delivery_body(s, action="destroy", created_at=old))


def _get(client, s):
    return client.get(f"/heroku/webhooks/{s.public_id}")


HOSTILE = {
    "forged signature": (_forged, 401),
    "wrong authorization": (_wrong_authorization, 401),
    "unknown subscription": (_unknown_subscription, 404),
    "replayed delivery id": (_replayed_delivery, 409),
    "replayed event id": (_replayed_event, 409),
    "malformed JSON": (_malformed_json, 400),
    "not a delivery": (_not_a_delivery, 400),
    "another webhook's delivery": (_another_webhook, 400),
    "wrong content type": (_wrong_content_type, 415),
    "huge body": (_huge_body, 413),
    "missing headers": (_missing_headers, 401),
    "an event older than the ids kept": (_too_old, 409),
    "GET": (_get, 405),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_delivery_gets_a_4xx_and_changes_nothing(
    client, subscribed_resource, queued, django_capture_on_commit_callbacks, case
):
    send, status = HOSTILE[case]
    subscription = subscribed_resource.webhook_subscription
    if case.startswith("replayed"):
        seen_before(subscription)
    before = emails(subscribed_resource)
    deliveries = set(WebhookDelivery.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        answer = send(client, subscription)
    assert answer.status_code == status
    if status != 405:
        assert answer.json()["message"]
    assert emails(subscribed_resource) == before  # ann (named by the destroys) keeps access
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) - deliveries == set()
    assert queued == []
    assert WebhookSubscription.objects.get(pk=subscription.pk).last_delivery_at is None


def test_a_forged_delivery_from_the_fake_is_refused(fake_heroku, subscribed_resource):
    answer = fake_heroku.dispatcher.forge(str(subscribed_resource.uuid), email="ann@example.com")
    assert answer == 401


def test_old_delivery_ids_are_forgotten_after_the_retention(subscribed_resource):
    from addons.access.webhooks.receiver import prune_deliveries

    subscription = subscribed_resource.webhook_subscription
    for days, name in ((9, "old"), (1, "recent")):
        WebhookDelivery.objects.create(
            subscription=subscription,
            delivery_id=name,
            event_id=name,
            attempt_id=name,
            resource_type="collaborator",
            action="create",
            received_at=timezone.now() - timedelta(days=days),
        )
    assert prune_deliveries() == 1
    assert list(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["recent"]
