"""How the add-ons app takes part in the accounts app's pages and outbox (connected in apps.py)."""

from django.dispatch import receiver

from accounts.signals import revocation_notices
from addons.models import AddonResource


@receiver(revocation_notices, dispatch_uid="addons.installed_resources_notice")
def installed_resources_notice(sender, company_user, **kwargs) -> str:
    """Say on the revoke page that the resources the person installed stay provisioned."""
    installed = (
        AddonResource.objects.filter(
            installed_by=company_user.user_id, addon__company=company_user.company_id
        )
        .exclude(state=AddonResource.State.DEPROVISIONED)
        .count()
    )
    notice = (
        "Add-on resources they installed stay provisioned: revoking a company user never "
        "de-provisions a resource"
    )
    if installed:
        notice += f" ({installed} installed by this person)"
    return notice + "."
