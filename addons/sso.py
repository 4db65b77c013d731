"""Add-on SSO: verify Heroku's signed login, decide access from the resource's access list, and
keep the dashboard session bound to that resource and that Heroku user.

    POST /sso/login ─► verify token and timestamp ─► refuse a replay ─► decide on the access list
    (fresh? else re-fetch that one resource now) ─► an SSO session (not a Django login)

Heroku asks partners not to trust a cached access list for more than five minutes, and not to grant
lasting rights from the email in an SSO request alone: the signed request only says who the person
is; whether they may use the resource is decided by the app's collaborators and team members.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.db import IntegrityError, transaction
from django.utils import timezone

from addons.exceptions import (
    AccessListUnavailable,
    ExpiredSSOToken,
    InvalidSSOToken,
    MalformedSSORequest,
    NoSSOSession,
    NotOnAccessList,
    ReplayedSSOToken,
    ResourceUnavailable,
    SSOSessionEnded,
)
from addons.models import AccessGrant, AddonResource, SyncRun, UsedSSOToken
from addons.sync import sync_resource

logger = logging.getLogger(__name__)

SESSION_KEY = "heroku_sso"
NAV_DATA_COOKIE = "heroku-nav-data"


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


@dataclass(frozen=True)
class Decision:
    """Why a person may use a resource: their grant, and which list decided."""

    class Basis:
        FRESH = "fresh list"
        REFETCHED = "re-fetched list"
        STALE_GRACE = "stale list within SSO_STALE_GRACE (re-fetch failed)"

    grant: AccessGrant
    basis: str


@dataclass(frozen=True)
class SSOLogin:
    """A verified, authorised SSO login, ready to become a session."""

    resource: AddonResource
    user_id: str
    email: str
    nav_data: str
    decision: Decision


@dataclass(frozen=True)
class SSOSession:
    """The Heroku SSO session of the current request, checked against the stored access list."""

    resource: AddonResource
    grant: AccessGrant
    user_id: str
    email: str
    started_at: datetime


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


# Deciding access -----------------------------------------------------------------------------
def find_grant(resource: AddonResource, *, user_id: str, email: str) -> AccessGrant | None:
    """Return RESOURCE's stored grant for this Heroku user: by user id first, then by email."""
    if user_id:
        grant = resource.grants.filter(heroku_user_id=user_id).first()
        if grant is not None:
            return grant
    # The email matches only a grant with no known user id: a grant bound to another Heroku user
    # id belongs to another account, whatever email it had; a re-fetch settles who is who.
    return resource.grants.filter(email=email.lower(), heroku_user_id="").first()


def refetch_access_list(resource: AddonResource, *, timeout: float) -> tuple[bool, str]:
    """Re-sync RESOURCE's access list from Heroku now; return (succeeded, error)."""
    try:
        outcome = sync_resource(resource, trigger=SyncRun.Trigger.SSO, timeout=timeout)
    except Exception as exc:
        # A bug in the re-fetch must end in a refusal page, not a 500; the stored list is
        # untouched (sync replaces it only on success), and the grace rule decides.
        logger.exception("SSO re-fetch of resource %s raised", resource.uuid)
        return False, f"re-fetch raised {type(exc).__name__}"
    return bool(outcome.ok), outcome.error or ""


def _within_grace(resource: AddonResource, now: datetime) -> bool:
    if resource.last_synced_at is None:
        return False
    return (now - resource.last_synced_at).total_seconds() <= settings.SSO_STALE_GRACE


def _not_on_list(resource: AddonResource, *, confirmed: bool) -> NotOnAccessList:
    app = resource.app_name or "this app"
    message = f"You are not a collaborator or team member of the app {app}."
    if not confirmed:
        message = (
            f"You are not on our copy of the access list of the app {app}, and Heroku could "
            "not be reached to check for recent changes."
        )
    return NotOnAccessList(
        message,
        advice=(
            f"Ask an owner or admin of {app} to add you as a collaborator or team member on "
            "Heroku, then open the add-on again from the Heroku dashboard."
        ),
    )


def decide_access(
    resource: AddonResource, *, user_id: str, email: str, now: datetime | None = None
) -> Decision:
    """Return why this Heroku user may use RESOURCE, re-fetching its list when needed; or raise."""
    now = now or timezone.now()
    grant = find_grant(resource, user_id=user_id, email=email)
    if grant is not None and resource.access_list_is_fresh(now):
        return Decision(grant, Decision.Basis.FRESH)

    # A stale list, or a person missing from a fresh one (they may have been added a moment
    # ago): ask Heroku for this resource's list now, and decide on that.
    ok, error = refetch_access_list(resource, timeout=settings.SSO_REFETCH_TIMEOUT)
    # Even a failed re-fetch may have learnt that Heroku no longer knows the add-on.
    try:
        resource.refresh_from_db()
    except AddonResource.DoesNotExist:
        raise ResourceUnavailable() from None
    if resource.state != AddonResource.State.PROVISIONED:
        raise ResourceUnavailable()
    if ok:
        grant = find_grant(resource, user_id=user_id, email=email)
        if grant is None:
            raise _not_on_list(resource, confirmed=True)
        return Decision(grant, Decision.Basis.REFETCHED)

    logger.warning("SSO re-fetch of resource %s failed: %s", resource.uuid, error)
    if not _within_grace(resource, now):
        raise AccessListUnavailable()
    if grant is None:
        raise _not_on_list(resource, confirmed=False)
    return Decision(grant, Decision.Basis.STALE_GRACE)


def authorize_sso_login(sso: SSORequest, *, now: datetime | None = None) -> SSOLogin:
    """Return the login SSO grants: verify it, spend its token, decide access; or raise SSOError."""
    now = now or timezone.now()
    resource, token = verify_sso_request(sso, now=now)
    # Spent before the decision, so that a refused token cannot be tried again once the list
    # changes: Heroku signs a new one for every click.
    consume_sso_token(token, now=now)
    decision = decide_access(resource, user_id=sso.user_id, email=sso.email, now=now)
    logger.info(
        "SSO login to resource %s by Heroku user %s on the %s",
        resource.uuid,
        sso.user_id,
        decision.basis,
    )
    return SSOLogin(
        resource=resource,
        user_id=sso.user_id,
        email=sso.email.lower(),
        nav_data=sso.nav_data,
        decision=decision,
    )


# The dashboard session -----------------------------------------------------------------------
def start_sso_session(request, login: SSOLogin, *, now: datetime | None = None) -> None:
    """Replace REQUEST's session with a Heroku SSO session for LOGIN (never a Django login)."""
    now = now or timezone.now()
    # A new session key, always: an SSO session must never carry a portal or admin login, nor a
    # session fixed by someone else. logout() (which also tells its listeners, django-axes among
    # them) is needed only when a portal user is logged in; otherwise flushing is the same.
    if request.user.is_authenticated:
        logout(request)
    else:
        request.session.flush()
    request.session[SESSION_KEY] = {
        "resource": str(login.resource.uuid),
        "user_id": login.user_id,
        "email": login.email,
        "started_at": int(now.timestamp()),
    }
    request.session.set_expiry(settings.SSO_SESSION_AGE)


def end_sso_session(request) -> None:
    """End REQUEST's session, SSO and all."""
    request.session.flush()


def current_sso_session(request, resource_uuid, *, now: datetime | None = None) -> SSOSession:
    """Return the SSO session for RESOURCE_UUID, re-checked against the stored list; or raise.

    Raises NoSSOSession when there is none for this resource (the session, if any, is kept), and
    SSOSessionEnded, after ending the session, when it expired, the resource is no longer
    provisioned, or the person is no longer on the stored access list.
    """
    now = now or timezone.now()
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("resource") != str(resource_uuid):
        raise NoSSOSession()
    started_at = datetime.fromtimestamp(int(data["started_at"]), tz=UTC)
    if (now - started_at).total_seconds() > settings.SSO_SESSION_AGE:
        end_sso_session(request)
        raise SSOSessionEnded("Your session expired.")
    resource = (
        AddonResource.objects.select_related("addon", "plan").filter(uuid=resource_uuid).first()
    )
    if resource is None or resource.state != AddonResource.State.PROVISIONED:
        end_sso_session(request)
        raise SSOSessionEnded(
            "This add-on is no longer installed on the app.",
            advice="If you think it should be, check the app's add-ons on your Heroku dashboard.",
        )
    grant = find_grant(resource, user_id=data["user_id"], email=data["email"])
    if grant is None:
        end_sso_session(request)
        app = resource.app_name or "the app"
        raise SSOSessionEnded(
            f"You are no longer a collaborator or team member of {app}.",
            advice=f"Ask an owner or admin of {app} to add you again, then open the add-on from "
            "the Heroku dashboard.",
        )
    return SSOSession(
        resource=resource,
        grant=grant,
        user_id=data["user_id"],
        email=data["email"],
        started_at=started_at,
    )
