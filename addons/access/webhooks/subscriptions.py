"""Subscribe each resource's add-on webhook with its own token; remove it on de-provisioning."""

from __future__ import annotations

import logging
import secrets
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from addons.heroku.client import ResourceCredentials
from addons.heroku.errors import HerokuAPIError, RetryLater
from addons.heroku.webhooks import WebhookClient
from addons.models import AddonResource, WebhookSubscription

logger = logging.getLogger(__name__)

# The events that change who may use a resource, or whether it still exists (API-NOTES).
EVENTS = ["api:addon-attachment", "api:addon", "api:app", "api:collaborator"]


UNSUBSCRIBE_TASK = "addons.access.tasks.unsubscribe_task"


Status = WebhookSubscription.Status


def receiver_url(subscription: WebhookSubscription) -> str:
    """Return the absolute URL that SUBSCRIPTION's deliveries are sent to."""
    path = reverse("addons:heroku-webhook", kwargs={"public_id": subscription.public_id})
    return settings.WEBHOOK_BASE_URL + path


@transaction.atomic
def prepare_subscription(*, resource: AddonResource) -> WebhookSubscription:
    """Return RESOURCE's subscription row, with its own authorization and secret generated once."""
    subscription, _ = WebhookSubscription.objects.select_for_update().get_or_create(
        resource=resource
    )
    if not subscription.secret or not subscription.authorization:
        subscription.authorization = "Bearer " + secrets.token_urlsafe(32)
        subscription.secret = secrets.token_urlsafe(32)
        subscription.include = EVENTS
        subscription.save(update_fields=["authorization", "secret", "include", "updated_at"])
    return subscription


def subscribe_resource(
    *, resource: AddonResource, client: WebhookClient | None = None
) -> WebhookSubscription:
    """Subscribe RESOURCE's add-on webhook with its token; record the outcome and return it.

    Idempotent: an active subscription is left alone, and a webhook that Heroku already holds
    for this URL (an earlier attempt whose answer was lost) is updated rather than doubled.
    """
    subscription = prepare_subscription(resource=resource)
    if subscription.status == Status.ACTIVE:
        return subscription
    if resource.state != AddonResource.State.PROVISIONED or not resource.access_token:
        return _record(subscription, Status.FAILED, "the resource has no OAuth token yet")
    client = client or WebhookClient()
    credentials = ResourceCredentials(
        access_token=resource.access_token,
        refresh_token=resource.refresh_token,
        expires_at=resource.token_expires_at,
        client_secret=resource.addon.oauth_client_secret,
    )
    fields = {
        "url": receiver_url(subscription),
        "include": list(subscription.include or EVENTS),
        "authorization": subscription.authorization,
        "secret": subscription.secret,
        "credentials": credentials,
    }
    try:
        client.refresh_if_expiring(credentials)
        held = [w for w in client.list_webhooks(resource.uuid, credentials=credentials)]
        same = [w for w in held if w.url == fields["url"]]
        if same:
            info = client.update_webhook(resource.uuid, same[0].id, **fields)
        else:
            info = client.create_webhook(resource.uuid, **fields)
    except RetryLater as exc:
        return _record(subscription, Status.FAILED, str(exc))
    except HerokuAPIError as exc:  # a 4xx: Heroku will not have it (or the token was refused)
        return _record(subscription, Status.REFUSED, str(exc))
    finally:
        _keep_refreshed_tokens(resource, credentials)
    return _record(subscription, Status.ACTIVE, "", heroku_id=info.id)


def _record(
    subscription: WebhookSubscription, status: str, error: str, *, heroku_id: str = ""
) -> WebhookSubscription:
    if error:
        logger.warning("webhook subscription of resource %s: %s", subscription.resource_id, error)
    subscription.status = status
    subscription.error = error[:2000]
    subscription.attempts += 1
    fields = ["status", "error", "attempts", "updated_at"]
    if heroku_id:
        subscription.heroku_id = heroku_id
        subscription.subscribed_at = timezone.now()
        fields += ["heroku_id", "subscribed_at"]
    subscription.save(update_fields=fields)
    return subscription


def _keep_refreshed_tokens(resource: AddonResource, credentials: ResourceCredentials) -> None:
    tokens = credentials.refreshed
    if tokens is not None:
        AddonResource.objects.filter(pk=resource.pk).update(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            token_expires_at=tokens.expires_at,
        )


@transaction.atomic
def retire_subscription(*, resource: AddonResource, access_token: str) -> None:
    """Stop accepting RESOURCE's deliveries and queue removing its webhook from Heroku.

    Called when the resource is de-provisioned. De-provisioning forgets the resource's tokens, so
    ACCESS_TOKEN (the one it had) is kept, encrypted, on the subscription until the removal.
    """
    subscription = WebhookSubscription.objects.select_for_update().filter(resource=resource).first()
    if subscription is None or subscription.status in (Status.RETIRING, Status.REMOVED):
        return
    if not subscription.heroku_id or not access_token:
        subscription.status = Status.REMOVED
        subscription.save(update_fields=["status", "updated_at"])
        return
    subscription.status = Status.RETIRING
    subscription.retire_token = access_token
    subscription.save(update_fields=["status", "retire_token", "updated_at"])
    transaction.on_commit(partial(async_task, UNSUBSCRIBE_TASK, subscription.pk))


def remove_subscription(
    *, subscription: WebhookSubscription, client: WebhookClient | None = None
) -> WebhookSubscription:
    """Remove a retiring SUBSCRIPTION's webhook from Heroku, once; forget the token either way.

    A failure is recorded, not retried: Heroku removes an add-on's webhooks with the add-on.
    """
    client = client or WebhookClient()
    error = ""
    try:
        client.delete_webhook(
            subscription.resource.uuid,
            subscription.heroku_id,
            credentials=ResourceCredentials(access_token=subscription.retire_token),
        )
    except HerokuAPIError as exc:
        error = (
            f"could not remove the webhook from Heroku ({exc}); Heroku removes it with the add-on"
        )
    subscription.status = Status.REMOVED
    subscription.retire_token = ""
    subscription.error = error
    subscription.save(update_fields=["status", "retire_token", "error", "updated_at"])
    return subscription
