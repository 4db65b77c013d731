"""The Partner API call log: what was asked and how it ended, never a body or a secret."""

from __future__ import annotations

from addons.models import Addon, PartnerAPICall
from portal.text import storable


# The call log --------------------------------------------------------------------------------
def record_partner_call(
    *,
    addon: Addon | None,
    method: str,
    path: str,
    resource_uuid: str,
    status_code: int,
    outcome: str,
    duration_ms: int,
) -> PartnerAPICall:
    """Record one Partner API call: what was asked and how it ended, never a body or secret."""
    # The path and uuid come from the request as sent: keep them storable, or the log itself fails.
    return PartnerAPICall.objects.create(
        addon=addon,
        method=storable(method[:10]),
        path=storable(path[:255]),
        resource_uuid=storable(resource_uuid[:64]),
        status_code=status_code,
        outcome=storable(outcome[:255]),
        duration_ms=max(duration_ms, 0),
    )
