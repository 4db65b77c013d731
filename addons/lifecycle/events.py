"""The record of each step of a resource's life (LifecycleEvent): what, when, how it ended."""

from __future__ import annotations

from addons.models import AddonResource, LifecycleEvent
from portal.text import storable

Step = LifecycleEvent.Step


Outcome = LifecycleEvent.Outcome


MAX_DETAIL = LifecycleEvent._meta.get_field("detail").max_length


def record_event(
    resource: AddonResource, step: str, outcome: str, detail: str = ""
) -> LifecycleEvent:
    """Record that STEP of RESOURCE's life ended with OUTCOME; DETAIL never holds a secret."""
    detail = storable(detail)
    if len(detail) > MAX_DETAIL:
        detail = detail[: MAX_DETAIL - 1] + "…"
    return LifecycleEvent.objects.create(
        resource=resource, step=step, outcome=outcome, detail=detail
    )


def names(config) -> str:
    """Return the names of CONFIG for a record, never its values."""
    return ", ".join(sorted(config)) or "none"
