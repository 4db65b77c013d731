"""The provisioner interface: the one place where an add-on's own service meets the portal.

A provisioner creates, changes and removes what a resource is in the partner's service (a
database, an account, an API key) and issues the config vars the app gets. Every operation
answers `Done` (finished now, with the config vars it sets) or `Pending` (the service finishes
later and tells the portal then: `addons.lifecycle.services.complete_provisioning` and its
siblings, or the portal's API for a service in another process). `ProvisionerRefusal` refuses with
a message the Heroku user sees; any other failure raises `ProvisionerError`.

Heroku repeats requests, and the portal retries what failed: every operation must be idempotent
by resource uuid (and, for rotations, by rotation id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from addons.lifecycle.exceptions import ProvisionerRefusal
from addons.models import AddonResource, CredentialRotation, Plan


@dataclass(frozen=True)
class Done:
    """The operation finished; CONFIG holds the config vars it sets (all of them, when
    provisioning; the changed ones otherwise). MESSAGE, if any, is shown to the Heroku user."""

    config: Mapping[str, str] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class Pending:
    """The operation goes on in the add-on's service, which reports its end to the portal."""

    message: str = ""


class Provisioner:
    """Subclass this and name your class in ADDON_PROVISIONER to plug in your service.

    Only `provision` must be written; the others default to "nothing to do in the service".
    """

    def provision(
        self, *, resource: AddonResource, plan: Plan, region: str, options: dict
    ) -> Done | Pending:
        """Create RESOURCE on PLAN in the service; return its config, or Pending."""
        raise NotImplementedError

    def change_plan(self, *, resource: AddonResource, plan: Plan) -> Done:
        """Move RESOURCE to PLAN in the service; return the config vars that change, if any.

        Heroku's plan change has no asynchronous form: answer Done, or refuse.
        """
        return Done()

    def deprovision(self, *, resource: AddonResource) -> Done | Pending:
        """Remove RESOURCE from the service, now or later (Pending)."""
        return Done()

    def rotate_credentials(
        self, *, resource: AddonResource, rotation: CredentialRotation
    ) -> Done | Pending:
        """Issue new credentials for RESOURCE, keeping the old ones valid; return the new config.

        The old credentials stay valid until `retire_credentials` is called with the same
        ROTATION, CREDENTIAL_OVERLAP_SECONDS after Heroku has the new config.
        """
        raise ProvisionerRefusal("This add-on's service cannot rotate credentials.")

    def retire_credentials(self, *, resource: AddonResource, rotation: CredentialRotation) -> None:
        """Make the credentials that ROTATION replaced stop working."""
