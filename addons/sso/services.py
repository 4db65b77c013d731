"""Decide whether a Heroku user may use a resource, on its access list (re-fetched when stale)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from addons.access.sync import Status, sync_resource
from addons.models import AccessGrant, AddonResource, SyncRun
from addons.sso.exceptions import (
    AccessListUnavailable,
    AccessPaused,
    NotOnAccessList,
    ResourceUnavailable,
)
from addons.sso.tokens import SSORequest, consume_sso_token, verify_sso_request

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """Why a person may use a resource: their grant, and which list decided."""

    class Basis:
        FRESH = "fresh list"
        REFETCHED = "re-fetched list"
        REFETCHED_PAUSED = "re-fetched list, its additions paused by the circuit breaker"
        STALE_GRACE = "stale list within SSO_STALE_GRACE (re-fetch failed or refused)"

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


def refetch_access_list(resource: AddonResource, *, timeout: float) -> tuple[Status | None, str]:
    """Re-sync RESOURCE's access list from Heroku now; return (the outcome's status, error).

    The status is None when the re-fetch raised.
    """
    try:
        outcome = sync_resource(resource, trigger=SyncRun.Trigger.SSO, timeout=timeout)
    except Exception as exc:
        # A bug in the re-fetch must end in a refusal page, not a 500; the stored list is
        # untouched (sync replaces it only on success), and the grace rule decides.
        logger.exception("SSO re-fetch of resource %s raised", resource.uuid)
        return None, f"re-fetch raised {type(exc).__name__}"
    return outcome.status, outcome.error or ""


def _within_grace(resource: AddonResource, now: datetime) -> bool:
    if resource.last_synced_at is None:
        return False
    return (now - resource.last_synced_at).total_seconds() <= settings.SSO_STALE_GRACE


def _not_on_list(resource: AddonResource, *, confirmed: bool) -> NotOnAccessList:
    app = resource.app_name or "this app"
    message = f"You are not a collaborator or team member of the app {app}."
    if not confirmed:
        # The re-fetch failed, or Heroku's answer could not be true and was refused: either
        # way, recent changes could not be checked.
        message = (
            f"You are not on our copy of the access list of the app {app}, and Heroku's current "
            "list could not be obtained to check for recent changes."
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
    status, error = refetch_access_list(resource, timeout=settings.SSO_REFETCH_TIMEOUT)
    # Even a failed re-fetch may have learnt that Heroku no longer knows the add-on.
    try:
        resource.refresh_from_db()
    except AddonResource.DoesNotExist:
        raise ResourceUnavailable() from None
    if resource.state != AddonResource.State.PROVISIONED:
        raise ResourceUnavailable()
    if status in (Status.SYNCED, Status.UNCHANGED):
        grant = find_grant(resource, user_id=user_id, email=email)
        if grant is None:
            raise _not_on_list(resource, confirmed=True)
        return Decision(grant, Decision.Basis.REFETCHED)
    if status == Status.PAUSED:
        # Its removals applied: whoever is still on it is on Heroku's list now. Whoever is
        # not may be one of the additions the breaker holds back.
        grant = find_grant(resource, user_id=user_id, email=email)
        if grant is None:
            raise AccessPaused()
        return Decision(grant, Decision.Basis.REFETCHED_PAUSED)

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
