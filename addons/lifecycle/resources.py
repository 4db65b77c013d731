"""Rows of the lifecycle: locking a resource, and the writes several steps share."""

from __future__ import annotations

from datetime import datetime

from addons.models import AddonResource

State = AddonResource.State


WaitingOn = AddonResource.WaitingOn


def lock_resource(resource_id: int) -> AddonResource:
    """Return resource RESOURCE_ID locked for update (inside a transaction), add-on loaded."""
    return (
        AddonResource.objects.select_for_update(of=("self",))
        .select_related("addon__company", "plan")
        .get(pk=resource_id)
    )


def mark_deprovisioned(locked: AddonResource, *, now: datetime) -> None:
    """Write LOCKED as de-provisioned: it keeps its row and history, and forgets its secrets."""
    locked.state = State.DEPROVISIONED
    locked.waiting_on = WaitingOn.NOTHING
    locked.plan_change_queued = False
    locked.deprovisioned_at = now
    for secret in ("access_token", "refresh_token", "grant_code", "log_input_url"):
        setattr(locked, secret, "")
    locked.log_drain_token = ""
    locked.token_expires_at = None
    locked.grant_expires_at = None
    locked.save(
        update_fields=[
            "state",
            "waiting_on",
            "plan_change_queued",
            "deprovisioned_at",
            "access_token",
            "refresh_token",
            "grant_code",
            "log_input_url",
            "log_drain_token",
            "token_expires_at",
            "grant_expires_at",
            "updated_at",
        ]
    )
