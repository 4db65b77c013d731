"""Check and record one add-on webhook delivery; remove a destroyed collaborator at once.

A delivery is accepted only when its `Authorization` and its `Heroku-Webhook-Hmac-SHA256` both
match the subscription named in the URL (compared in constant time), its body is a delivery, and
neither its delivery id nor its event id was accepted before. Anything else raises a
`DeliveryRefused` naming the problem and its HTTP status, and changes nothing. An accepted delivery
is recorded and its work queued (`events`) in one transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid as uuidlib
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.tasks import async_task

from accounts.addresses import normalize_email
from addons.models import (
    AccessChange,
    AccessGrant,
    PlatformResponse,
    WebhookDelivery,
    WebhookSubscription,
)

DELIVERY_TASK = "addons.access.tasks.webhook_delivery_task"


# How long accepted delivery ids are kept (`prune_deliveries`); an event older than this is refused.
DELIVERY_RETENTION = timedelta(days=8)


RESOURCES = frozenset({"addon", "addon-attachment", "app", "collaborator"})


ACTIONS = frozenset({"create", "update", "destroy"})


# Compared against when the subscription is unknown, so that its absence costs the same work.
_NO_SECRET = "no subscription"


class DeliveryRefused(Exception):
    """A delivery that is not accepted: STATUS is the HTTP answer, the message says why."""

    status = 400


class UnknownSubscription(DeliveryRefused):
    status = 404


class NotAuthentic(DeliveryRefused):
    status = 401


class Replayed(DeliveryRefused):
    status = 409


@dataclass(frozen=True)
class Accepted:
    """What the receiver did: DUPLICATE when a retry of an accepted delivery changed nothing."""

    delivery: WebhookDelivery | None
    duplicate: bool = False
    removed: str = ""


def receive_delivery(*, public_id: str, headers, body: bytes) -> Accepted:
    """Check a delivery to subscription PUBLIC_ID, record it and queue its work."""
    subscription = _subscription(public_id)
    _authenticate(subscription, headers, body)
    delivery = _parse(body, subscription)
    with transaction.atomic():
        seen = WebhookDelivery.objects.filter(delivery_id=delivery["delivery_id"]).first()
        if seen is not None:
            if seen.attempt_id == delivery["attempt_id"]:
                raise Replayed("This delivery was received before.")
            return Accepted(None, duplicate=True)  # Heroku's retry of one we answered
        try:
            with transaction.atomic():
                row = WebhookDelivery.objects.create(
                    subscription=subscription, received_at=timezone.now(), **delivery["row"]
                )
        except IntegrityError:
            raise Replayed("This event was received before.") from None
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            last_delivery_at=row.received_at
        )
        removed = ""
        if (row.resource_type, row.action) == ("collaborator", "destroy"):
            removed = remove_collaborator_now(subscription.resource, delivery["data"])
        transaction.on_commit(partial(async_task, DELIVERY_TASK, row.pk))
    return Accepted(row, removed=removed)


def _subscription(public_id: str) -> WebhookSubscription | None:
    try:
        key = uuidlib.UUID(str(public_id))
    except ValueError:
        return None
    return (
        WebhookSubscription.objects.select_related("resource")
        .exclude(status=WebhookSubscription.Status.REMOVED)
        .exclude(secret="")
        .filter(public_id=key)
        .first()
    )


def _authenticate(subscription: WebhookSubscription | None, headers, body: bytes) -> None:
    authorization = headers.get("Authorization", "")
    signature = headers.get("Heroku-Webhook-Hmac-SHA256", "")
    expected_auth = subscription.authorization if subscription else _NO_SECRET
    secret = subscription.secret if subscription else _NO_SECRET
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    expected_signature = base64.b64encode(digest).decode()
    auth_ok = hmac.compare_digest(authorization.encode(), expected_auth.encode())
    signature_ok = hmac.compare_digest(signature.encode(), expected_signature.encode())
    if subscription is None:
        raise UnknownSubscription("No webhook subscription has this URL.")
    if not authorization or not signature:
        raise NotAuthentic("The Authorization and Heroku-Webhook-Hmac-SHA256 headers are required.")
    if not auth_ok:
        raise NotAuthentic("The Authorization header does not match this subscription.")
    if not signature_ok:
        raise NotAuthentic("The Heroku-Webhook-Hmac-SHA256 signature does not match the body.")


def _text(value, what: str, limit: int = 64) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise DeliveryRefused(f"The delivery lacks a valid {what}.")
    return value


def _parse(body: bytes, subscription: WebhookSubscription) -> dict:
    """Return the fields of a delivery BODY that the receiver uses; refuse a malformed one."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise DeliveryRefused("The body is not JSON.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("webhook_metadata"), dict):
        raise DeliveryRefused("The body is not a webhook delivery.")
    metadata = payload["webhook_metadata"]
    ids = {}
    for name in ("attempt", "delivery", "event", "webhook"):
        part = metadata.get(name)
        ids[name] = _text(part.get("id") if isinstance(part, dict) else None, f"{name} id")
    if subscription.heroku_id and ids["webhook"] != subscription.heroku_id:
        raise DeliveryRefused("The delivery names another webhook than this subscription.")
    resource_type = _text(payload.get("resource"), "resource", 40)
    action = _text(payload.get("action"), "action", 20)
    if resource_type not in RESOURCES or action not in ACTIONS:
        raise DeliveryRefused(f"Unexpected event {resource_type} {action}.")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise DeliveryRefused("The delivery lacks its data.")
    created_at = parse_datetime(str(payload.get("created_at") or ""))
    if created_at is None or created_at.tzinfo is None:
        raise DeliveryRefused("The delivery lacks a valid created_at.")
    if timezone.now() - created_at > DELIVERY_RETENTION:
        # Older than the delivery ids kept to recognise a replay (Heroku retries for about seven
        # days): it could be a replay that is no longer recognised.
        raise Replayed("The delivery's event is older than the portal keeps delivery ids.")
    return {
        "delivery_id": ids["delivery"],
        "attempt_id": ids["attempt"],
        "data": data,
        "row": {
            "delivery_id": ids["delivery"],
            "event_id": ids["event"],
            "attempt_id": ids["attempt"],
            "resource_type": resource_type,
            "action": action,
        },
    }


def remove_collaborator_now(resource, data: dict) -> str:
    """Take away the collaborator access of the person a collaborator destroy names; return the
    e-mail removed ("" when nothing was).

    Removing is always safe: the re-fetch that follows gives back whatever Heroku still lists
    (a team member keeps the team's access). The stored collaborator list is dropped so that the
    re-fetch reads it in full rather than trust a 304.
    """
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    app = data.get("app") if isinstance(data.get("app"), dict) else {}
    email = user.get("email")
    if not isinstance(email, str) or not email:
        return ""
    if resource.app_id and str(app.get("id") or "") not in ("", resource.app_id):
        return ""  # another app's collaborator
    email = normalize_email(email)
    grant = AccessGrant.objects.select_for_update().filter(resource=resource, email=email).first()
    PlatformResponse.objects.filter(resource=resource, endpoint__contains="/collaborators").delete()
    if grant is None or AccessGrant.Source.COLLABORATOR not in grant.sources:
        return ""
    sources = [s for s in grant.sources if s != AccessGrant.Source.COLLABORATOR]
    if sources:
        grant.sources = sources
        grant.save(update_fields=["sources"])
        return ""
    grant.delete()
    AccessChange.objects.create(resource=resource, email=email, change=AccessChange.Change.REMOVED)
    return email


def prune_deliveries(*, now=None) -> int:
    """Forget the delivery ids older than DELIVERY_RETENTION; return how many were dropped."""
    cutoff = (now or timezone.now()) - DELIVERY_RETENTION
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted
