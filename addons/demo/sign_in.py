"""Signed SSO forms for the DEBUG-only "Sign in as a Heroku customer" page.

Heroku logs a customer in to an add-on's dashboard by posting a form signed with the add-on's SSO
salt to `/sso/login`. Offline there is no Heroku to post it, so this page signs the same form for
the people on each resource's synced access list: a newcomer reaches a dashboard in one click.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch

from addons.models import AccessGrant, AddonResource
from addons.sso.tokens import user_scoped_token

MAX_RESOURCES = 20
MAX_PEOPLE = 10


@dataclass(frozen=True)
class CustomerSignIn:
    """One person of one resource, with the fields of Heroku's signed SSO form."""

    resource: AddonResource
    grant: AccessGrant
    fields: dict[str, str]


@dataclass(frozen=True)
class ResourceSignIns:
    resource: AddonResource
    people: list[CustomerSignIn]


def sso_fields(*, resource: AddonResource, grant: AccessGrant, now: datetime) -> dict[str, str]:
    """Return the form Heroku would post to log GRANT's person in to RESOURCE at NOW."""
    resource_id = str(uuidlib.UUID(str(resource.uuid)))
    timestamp = str(int(now.timestamp()))
    token = user_scoped_token(
        resource_id=resource_id,
        salt=resource.addon.sso_salt,
        timestamp=timestamp,
        user_id=grant.heroku_user_id,
        email=grant.email,
    )
    return {
        "resource_id": resource_id,
        "timestamp": timestamp,
        "user_id": grant.heroku_user_id,
        "email": grant.email,
        "user_scoped_resource_token": token,
        "app": resource.app_name,
    }


def customer_sign_ins(*, now: datetime) -> list[ResourceSignIns]:
    """Return, per provisioned resource with a synced list, its people's signed SSO forms."""
    resources = (
        AddonResource.objects.filter(state=AddonResource.State.PROVISIONED)
        .filter(grants__isnull=False)
        .exclude(grants__heroku_user_id="")
        .select_related("addon", "plan")
        .prefetch_related(
            Prefetch(
                "grants",
                queryset=AccessGrant.objects.exclude(heroku_user_id="").order_by("email"),
                to_attr="signable_grants",
            )
        )
        .distinct()
        .order_by("addon__name", "app_name", "uuid")[:MAX_RESOURCES]
    )
    listed = []
    for resource in resources:
        people = [
            CustomerSignIn(resource, grant, sso_fields(resource=resource, grant=grant, now=now))
            for grant in resource.signable_grants[:MAX_PEOPLE]
        ]
        listed.append(ResourceSignIns(resource, people))
    return listed
