"""The add-ons app's models, one module per area. Import them from here: `addons.models`."""

from addons.models.access import (
    AccessChange,
    AccessGrant,
    PlatformResponse,
    SyncRun,
    TeamResponse,
)
from addons.models.addon import Addon, Plan, generate_secret
from addons.models.lifecycle import (
    AddonService,
    CredentialRotation,
    LifecycleEvent,
    ServiceEventReceipt,
)
from addons.models.partner_api import PartnerAPICall
from addons.models.resource import AddonResource, AddonResourceQuerySet
from addons.models.sso import UsedSSOToken
from addons.models.tickets import Ticket, TicketEvent
from addons.models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "AccessChange",
    "AccessGrant",
    "Addon",
    "AddonResource",
    "AddonResourceQuerySet",
    "AddonService",
    "CredentialRotation",
    "LifecycleEvent",
    "PartnerAPICall",
    "Plan",
    "PlatformResponse",
    "ServiceEventReceipt",
    "SyncRun",
    "TeamResponse",
    "Ticket",
    "TicketEvent",
    "UsedSSOToken",
    "WebhookDelivery",
    "WebhookSubscription",
    "generate_secret",
]
