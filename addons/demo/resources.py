"""The demo add-on's resources: provisioned and synced as Heroku and the portal would.

`load_demo_data` plays Heroku's part against the fake: for each resource of the fake's demo
world, a grant from the fake and a provisioning request to the Partner API services (the grant
exchanged at the fake's `/oauth/token`, the built-in provisioner's config); then `sync_access`
reads each access list from the fake's Platform API. No access row is written by hand.
"""

from __future__ import annotations

import uuid as uuidlib

from django.core.management import call_command

from addons.demo.fake import DemoHeroku
from addons.models import Addon, AddonResource
from addons.partner_api.grants import exchange_resource_grant
from addons.partner_api.parsing import ProvisionRequest
from addons.partner_api.services import provision_resource


class DemoResourceError(Exception):
    """A demo resource could not be provisioned or given tokens; the message says why."""


def resources_on_heroku(*, addon_slug: str, heroku: DemoHeroku) -> list[dict]:
    """Return the add-on JSON of every resource of ADDON_SLUG in the fake's world."""
    return [r for r in heroku.resources() if r["addon_service"]["name"] == addon_slug]


def provision_demo_resources(
    *, addon: Addon, heroku: DemoHeroku, on_heroku: list[dict]
) -> list[AddonResource]:
    """Provision the resources ON_HEROKU that the portal lacks, as Heroku would; return them all.

    A resource provisioned by an earlier run gets a fresh grant instead: the fake keeps its
    tokens in memory, so a restarted fake no longer knows the ones the portal holds.
    """
    resources = []
    for described in on_heroku:
        code = heroku.grant_code(described["id"], client_secret=addon.oauth_client_secret)
        resource = AddonResource.objects.filter(uuid=described["id"]).first()
        if resource is None:
            resource = _provision(addon, described, code=code, heroku=heroku)
        elif resource.state != AddonResource.State.DEPROVISIONED:
            # As a reinstall would: the grant the fake just issued replaces the lost tokens.
            resource.grant_code = code
            exchange_resource_grant(resource)
        else:
            continue
        resource.refresh_from_db()
        if resource.grant_error:
            raise DemoResourceError(f"{resource.uuid}: {resource.grant_error}")
        resources.append(resource)
    return resources


def _provision(addon: Addon, described: dict, *, code: str, heroku: DemoHeroku):
    request = ProvisionRequest(
        uuid=uuidlib.UUID(described["id"]),
        plan=described["plan"]["name"],
        name=described["name"],
        region="us",
        callback_url=f"{heroku.url}/addons/{described['id']}",
        grant_code=code,
        log_input_url=f"{heroku.url}/log-input/{described['id']}",
    )
    return provision_resource(addon=addon, request=request).resource


def sync_demo_access_lists(*, addon: Addon, stdout, stderr) -> None:
    """Read every access list of ADDON from the fake, with `sync_access --addon`."""
    call_command("sync_access", "--addon", addon.slug, stdout=stdout, stderr=stderr)
