"""Verify Heroku's signed SSO login and spend its token, so that it works once."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from addons.models import AddonResource, UsedSSOToken
from addons.sso.exceptions import (
    ExpiredSSOToken,
    InvalidSSOToken,
    MalformedSSORequest,
    ReplayedSSOToken,
    ResourceUnavailable,
)


def user_scoped_token(
    *, resource_id: str, salt: str, timestamp: str, user_id: str, email: str
) -> str:
    """Return the user_scoped_resource_token Heroku signs an SSO login with."""
    return hashlib.sha256(
        f"{resource_id}:{salt}:{timestamp}:{user_id}:{email}".encode()
    ).hexdigest()


def legacy_token(*, resource_id: str, salt: str, timestamp: str) -> str:
    """Return the older resource_token, which is not bound to a user."""
    return hashlib.sha1(f"{resource_id}:{salt}:{timestamp}".encode()).hexdigest()


@dataclass(frozen=True)
class SSORequest:
    """The fields of Heroku's SSO form, exactly as sent (the token signs them as sent)."""

    resource_id: str
    timestamp: str
    user_id: str
    email: str
    user_scoped_resource_token: str = ""
    resource_token: str = ""
    nav_data: str = ""

    def __repr__(self):  # never print the tokens
        return f"SSORequest(resource_id={self.resource_id!r}, user_id={self.user_id!r})"


# Verifying the login -------------------------------------------------------------------------
def verify_sso_request(
    sso: SSORequest, *, now: datetime | None = None
) -> tuple[AddonResource, str]:
    """Return the resource SSO is signed for and the token that proved it; raise SSOError."""
    now = now or timezone.now()
    age = now.timestamp() - int(sso.timestamp)
    if age > settings.SSO_TOKEN_MAX_AGE:
        raise ExpiredSSOToken()
    if -age > settings.SSO_CLOCK_SKEW:
        raise ExpiredSSOToken("This sign-in link is dated in the future.")

    user_scoped = bool(sso.user_scoped_resource_token)
    if user_scoped:
        token = sso.user_scoped_resource_token
    elif sso.resource_token and settings.SSO_ALLOW_LEGACY_TOKEN:
        # Only when Heroku sent no user-scoped token: when it sent one, that one must match, or a
        # tampered user_id or email would pass on the legacy token, which does not sign them.
        token = sso.resource_token
    else:
        raise MalformedSSORequest()

    resource = AddonResource.objects.select_related("addon").filter(uuid=sso.resource_id).first()
    # An unknown resource is checked against an empty salt, which never matches, so that it is
    # refused like a wrong token: the answer does not say which resources exist.
    salt = resource.addon.sso_salt if resource is not None else ""
    if user_scoped:
        expected = user_scoped_token(
            resource_id=sso.resource_id,
            salt=salt,
            timestamp=sso.timestamp,
            user_id=sso.user_id,
            email=sso.email,
        )
    else:
        expected = legacy_token(resource_id=sso.resource_id, salt=salt, timestamp=sso.timestamp)
    matches = hmac.compare_digest(expected.encode(), token.encode())
    if resource is None or not salt or not matches:
        raise InvalidSSOToken()
    if resource.state == AddonResource.State.PROVISIONING:
        raise ResourceUnavailable(
            "This add-on is still being set up on the app.", advice="Try again in a minute."
        )
    if resource.state != AddonResource.State.PROVISIONED:
        raise ResourceUnavailable()
    return resource, token


def consume_sso_token(token: str, *, now: datetime | None = None) -> None:
    """Record TOKEN as used; raise ReplayedSSOToken when it has been used before."""
    now = now or timezone.now()
    # A token can be accepted from SSO_CLOCK_SKEW before its timestamp until SSO_TOKEN_MAX_AGE
    # after it, so a record older than both together can no longer stop anything.
    window = timedelta(seconds=settings.SSO_TOKEN_MAX_AGE + settings.SSO_CLOCK_SKEW)
    UsedSSOToken.objects.filter(used_at__lt=now - window).delete()
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    try:
        with transaction.atomic():
            UsedSSOToken.objects.create(token_hash=token_hash, used_at=now)
    except IntegrityError:
        raise ReplayedSSOToken() from None
