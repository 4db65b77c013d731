"""Exchange a new resource's OAuth grant for its tokens, retrying in the background.

The exchange completes the row that provisioning wrote, in a second transaction; a passing failure
keeps the grant (encrypted) with `grant_error` set and retries in the background while the grant
is valid.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task, schedule

from addons.heroku.errors import HerokuAPIError, OAuthError
from addons.heroku.oauth import OAuthClient
from addons.lifecycle.services import enqueue_report
from addons.models import AddonResource

logger = logging.getLogger(__name__)


# Seconds before each background retry of a grant exchange (the grant's lifetime bounds them).
GRANT_RETRY_DELAYS = (10, 20, 40, 80, 150)


SYNC_TASK = "addons.access.tasks.sync_resource_task"


# Subscribes the resource's add-on webhook with its new token (addons.access.webhooks).
SUBSCRIBE_TASK = "addons.access.tasks.subscribe_resource_task"


GRANT_RETRY_TASK = "addons.partner_api.grants.retry_grant_exchange"


# The OAuth grant -----------------------------------------------------------------------------
def exchange_resource_grant(resource: AddonResource, *, attempt: int = 0) -> bool:
    """Exchange RESOURCE's stored grant for tokens; return True when it got them.

    A refusal is final (the grant is dropped); a passing failure keeps the grant and schedules a
    retry while it is valid. Either way `grant_error` says what happened. The resource's state is
    the lifecycle's (`addons.lifecycle`): a synchronous provisioning does not wait for the tokens,
    only the access list (and a pending provisioning's report to Heroku) does.
    """
    addon = resource.addon
    try:
        if not addon.oauth_client_secret:
            raise HerokuAPIError("the add-on has no OAuth client secret in the portal")
        tokens = OAuthClient(timeout=settings.GRANT_EXCHANGE_TIMEOUT).exchange_grant(
            code=resource.grant_code, client_secret=addon.oauth_client_secret
        )
    except OAuthError as exc:
        _store_grant_failure(resource, f"Heroku refused the OAuth grant: {exc}", retry_at=None)
        return False
    except HerokuAPIError as exc:  # RetryLater, a malformed answer, or no client secret
        retry_at = _next_retry_at(resource, attempt)
        if retry_at is None:
            error = f"The OAuth grant could not be exchanged ({exc}); gave up after "
            error += f"{attempt + 1} attempt(s)."
        else:
            error = f"The OAuth grant exchange failed ({exc}) on attempt {attempt + 1}; "
            error += f"retrying at {retry_at:%H:%M:%S} UTC."
        _store_grant_failure(resource, error, retry_at=retry_at, attempt=attempt)
        return False
    with transaction.atomic():
        locked = AddonResource.objects.select_for_update().get(pk=resource.pk)
        if locked.state == AddonResource.State.DEPROVISIONED:
            return False  # de-provisioned meanwhile: keep no tokens for it
        locked.access_token = tokens.access_token
        locked.refresh_token = tokens.refresh_token
        locked.token_expires_at = tokens.expires_at
        locked.grant_code = ""
        locked.grant_expires_at = None
        locked.grant_error = ""
        locked.save(
            update_fields=[
                "access_token",
                "refresh_token",
                "token_expires_at",
                "grant_code",
                "grant_expires_at",
                "grant_error",
                "updated_at",
            ]
        )
        transaction.on_commit(partial(async_task, SYNC_TASK, locked.pk))
        transaction.on_commit(partial(async_task, SUBSCRIBE_TASK, locked.pk))
        if locked.waiting_on == AddonResource.WaitingOn.HEROKU:
            # A completion was waiting for this token: tell Heroku now rather than at its retry.
            transaction.on_commit(partial(enqueue_report, locked.pk))
    _copy_fields(locked, resource)
    return True


def _next_retry_at(resource: AddonResource, attempt: int) -> datetime | None:
    if attempt >= len(GRANT_RETRY_DELAYS):
        return None
    retry_at = timezone.now() + timedelta(seconds=GRANT_RETRY_DELAYS[attempt])
    if resource.grant_expires_at is not None and retry_at >= resource.grant_expires_at:
        return None
    return retry_at


def _store_grant_failure(
    resource: AddonResource, error: str, *, retry_at: datetime | None, attempt: int = 0
) -> None:
    logger.warning("resource %s: %s", resource.uuid, error)
    with transaction.atomic():
        locked = AddonResource.objects.select_for_update().get(pk=resource.pk)
        if locked.state == AddonResource.State.DEPROVISIONED:
            return
        locked.grant_error = error
        if retry_at is None:
            # Nothing will use the grant again: do not keep a secret for nothing.
            locked.grant_code = ""
            locked.grant_expires_at = None
        locked.save(update_fields=["grant_error", "grant_code", "grant_expires_at", "updated_at"])
        if retry_at is not None:
            transaction.on_commit(
                partial(
                    schedule,
                    GRANT_RETRY_TASK,
                    locked.pk,
                    attempt + 1,
                    next_run=retry_at,
                    name=f"Grant exchange of {locked.uuid}, attempt {attempt + 2}",
                )
            )
    _copy_fields(locked, resource)


def _copy_fields(source: AddonResource, target: AddonResource) -> None:
    if source is not target:
        for name in ("access_token", "refresh_token", "token_expires_at", "grant_code"):
            setattr(target, name, getattr(source, name))
        for name in ("grant_expires_at", "grant_error", "updated_at"):
            setattr(target, name, getattr(source, name))


def retry_grant_exchange(resource_id: int, attempt: int) -> bool:
    """Retry the exchange of a resource's provisioning grant (a django-q2 task)."""
    resource = AddonResource.objects.select_related("addon").filter(pk=resource_id).first()
    if (
        resource is None
        or not resource.grant_code
        or resource.state == AddonResource.State.DEPROVISIONED
    ):
        return False
    if resource.grant_expires_at is not None and resource.grant_expires_at <= timezone.now():
        _store_grant_failure(
            resource,
            "The OAuth grant expired before it could be exchanged; the access list cannot be "
            "read until the add-on is installed again.",
            retry_at=None,
        )
        return False
    return exchange_resource_grant(resource, attempt=attempt)
