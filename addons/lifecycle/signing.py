"""Signed events between the portal and an add-on's service, both ways: HMAC-SHA256, timestamped,
each with a unique id, so a receiver can refuse forged, old and repeated events.

Every event is a POST whose body is JSON, with three headers:

    Portal-Timestamp: 1767225600                      (Unix seconds when it was sent)
    Portal-Event-Id:  4f0c2a9e-0d7c-4c1e-9a53-2b8f1c6d7e10   (unique per event; 1 to 100 of
                                                       A-Z a-z 0-9 . _ : -)
    Portal-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<event id>.<raw body>">

keyed with the add-on's signing secret (generated in the portal, shown once). A receiver checks
the signature in constant time, refuses a timestamp more than SERVICE_EVENT_MAX_AGE seconds from
its clock either way, and refuses an event id it has already seen within that window.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from addons.lifecycle.exceptions import ReplayedEvent, SignatureError, StaleEvent
from addons.models import Addon, ServiceEventReceipt

TIMESTAMP_HEADER = "Portal-Timestamp"


EVENT_ID_HEADER = "Portal-Event-Id"


SIGNATURE_HEADER = "Portal-Signature"


SCHEME = "v1"


_EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


_SIGNATURE = re.compile(r"^v1=([0-9a-f]{64})$")


def signature(secret: str, *, timestamp: int, event_id: str, body: bytes) -> str:
    """Return the Portal-Signature value of BODY sent at TIMESTAMP as event EVENT_ID."""
    message = f"{timestamp}.{event_id}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def signed_headers(
    secret: str, body: bytes, *, timestamp: int | None = None, event_id: str | None = None
) -> dict[str, str]:
    """Return the headers that sign BODY as a new event (a fresh id, the time now)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    event_id = event_id or str(uuid.uuid4())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        EVENT_ID_HEADER: event_id,
        SIGNATURE_HEADER: signature(secret, timestamp=timestamp, event_id=event_id, body=body),
    }


@dataclass(frozen=True)
class SignedEvent:
    """An event whose signature checked out."""

    event_id: str
    timestamp: int


def verify_signature(
    secret: str, *, headers: Mapping[str, str], body: bytes, now: float | None = None
) -> SignedEvent:
    """Return the event that BODY and HEADERS carry, or raise SignatureError saying why not."""
    raw_timestamp = headers.get(TIMESTAMP_HEADER, "")
    event_id = headers.get(EVENT_ID_HEADER, "")
    given = _SIGNATURE.match(headers.get(SIGNATURE_HEADER, "").strip())
    if not raw_timestamp.isdigit() or len(raw_timestamp) > 12:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be the Unix time in seconds.")
    if not _EVENT_ID.match(event_id):
        raise SignatureError(
            f"{EVENT_ID_HEADER} must be 1 to 100 letters, digits or . _ : - characters."
        )
    if given is None:
        raise SignatureError(f"{SIGNATURE_HEADER} must be v1= and 64 hex digits.")
    timestamp = int(raw_timestamp)
    expected = signature(secret or "", timestamp=timestamp, event_id=event_id, body=body)
    if not hmac.compare_digest(expected, given[0]) or not secret:
        raise SignatureError("The signature does not match the body and the add-on's secret.")
    now = time.time() if now is None else now
    if abs(now - timestamp) > settings.SERVICE_EVENT_MAX_AGE:
        raise StaleEvent(
            f"The event's timestamp is more than {settings.SERVICE_EVENT_MAX_AGE} seconds from "
            "the portal's clock; send a new event."
        )
    return SignedEvent(event_id=event_id, timestamp=timestamp)


def spend_event_id(*, addon: Addon, event: SignedEvent, now: datetime | None = None) -> None:
    """Record EVENT's id as used by ADDON's service; raise ReplayedEvent when it was used before."""
    now = now or timezone.now()
    # A timestamp is accepted up to SERVICE_EVENT_MAX_AGE either side of the clock, so a receipt
    # older than twice that can no longer stop anything.
    window = timedelta(seconds=2 * settings.SERVICE_EVENT_MAX_AGE)
    ServiceEventReceipt.objects.filter(received_at__lt=now - window).delete()
    try:
        with transaction.atomic():
            ServiceEventReceipt.objects.create(
                addon=addon, event_id=event.event_id, received_at=now
            )
    except IntegrityError:
        raise ReplayedEvent("This event id was used before; send each event once.") from None
