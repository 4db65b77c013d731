"""Reads of the access lists: who may use a resource, which resources a person may use (the
plain data the `access_list` command prints, as a table or as JSON), and what operators must
know about the sync now (`sync_alerts`, shown in the admin).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models
from django.utils import timezone

from accounts.addresses import normalize_email
from addons.access.breaker import breaker_hold, open_breaker
from addons.models import AccessGrant, AddonResource


def resource_with_uuid(value: str) -> AddonResource | None:
    """Return the resource (with its add-on) whose UUID is VALUE; None if none, or not a UUID."""
    try:
        resource_uuid = uuid.UUID(value)
    except ValueError:
        return None
    return AddonResource.objects.select_related("addon").filter(uuid=resource_uuid).first()


def grants_of_resource(resource: AddonResource) -> models.QuerySet[AccessGrant]:
    """Return the grants of RESOURCE's access list, by email."""
    return AccessGrant.objects.filter(resource=resource).order_by("email")


def grants_of_person(email: str) -> models.QuerySet[AccessGrant]:
    """Return EMAIL's grants on the resources it may use, with them, by add-on and app."""
    email = normalize_email(email)
    return (
        AccessGrant.objects.filter(resource__in=AddonResource.objects.usable_by(email))
        .filter(email=email)
        .select_related("resource__addon")
        .order_by("resource__addon__slug", "resource__app_name")
    )


def people_of(resource: AddonResource) -> dict:
    """Return who may use RESOURCE (loaded with its add-on), why and since when, as plain data."""
    return {
        "resource": str(resource.uuid),
        "addon": resource.addon.slug,
        "app": resource.app_name,
        "team": resource.team_name,
        "state": resource.state,
        "sync_status": resource.sync_status,
        "last_synced_at": _iso(resource.last_synced_at),
        "fresh": resource.access_list_is_fresh(),
        "people": [
            {
                "email": grant.email,
                "sources": grant.sources,
                "role": grant.role,
                "since": _iso(grant.created_at),
                "confirmed_at": _iso(grant.confirmed_at),
            }
            for grant in grants_of_resource(resource).iterator()
        ],
    }


def resources_of(email: str) -> dict:
    """Return the resources EMAIL may use, from which source and since when, as plain data."""
    return {
        "email": normalize_email(email),
        "resources": [
            {
                "resource": str(grant.resource.uuid),
                "addon": grant.resource.addon.slug,
                "app": grant.resource.app_name,
                "team": grant.resource.team_name,
                "sources": grant.sources,
                "role": grant.role,
                "since": _iso(grant.created_at),
                "last_synced_at": _iso(grant.resource.last_synced_at),
            }
            for grant in grants_of_person(email).iterator()
        ],
    }


def sync_alerts(now: datetime | None = None) -> list[str]:
    """Return what operators must know about the sync now: an open circuit breaker, lists whose
    additions wait, lists refused as impossible. Empty when all is well."""
    now = now or timezone.now()
    alerts = []
    if (run := open_breaker(now)) is not None:
        until = timezone.localtime(run.breaker_tripped_at + breaker_hold())
        alerts.append(
            f"The circuit breaker pauses additions to access lists until {until:%Y-%m-%d %H:%M}: "
            f"sync run {run.pk} found {run.lists_shrunk} of the {run.lists_compared} lists it "
            "compared shrinking at once. Removals still apply. Check Heroku's status."
        )
    statuses = AddonResource.objects.provisioned().filter(
        sync_status__in=[AddonResource.SyncStatus.PAUSED, AddonResource.SyncStatus.REFUSED]
    )
    counts = dict(statuses.values_list("sync_status").annotate(count=models.Count("pk")).order_by())
    if paused := counts.get(AddonResource.SyncStatus.PAUSED):
        alerts.append(
            f"{_resources(paused)} wait for additions the circuit breaker paused (filter by sync "
            'status "Additions paused"); the first sync after the pause adds them.'
        )
    if refused := counts.get(AddonResource.SyncStatus.REFUSED):
        alerts.append(
            f"Heroku's answer for {_resources(refused)} cannot be true, so it was refused and the "
            'stored list kept (filter by sync status "Refused"; each says why). Their SSO '
            "logins decide on the stored list for SSO_STALE_GRACE after its last good sync, then "
            "say access cannot be confirmed, until Heroku answers sanely again."
        )
    return alerts


def _resources(count: int) -> str:
    return "1 resource" if count == 1 else f"{count} resources"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
