"""Subscribe the resources that have no healthy subscription yet (the command and its schedule)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from addons.access.webhooks.subscriptions import subscribe_resource
from addons.heroku.webhooks import WebhookClient
from addons.models import AddonResource, WebhookSubscription

Status = WebhookSubscription.Status


@dataclass
class SubscribeReport:
    """What one round of subscribing did, per outcome."""

    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)

    def count(self, subscription: WebhookSubscription, uuid) -> None:
        self.statuses[subscription.status] = self.statuses.get(subscription.status, 0) + 1
        if subscription.status != Status.ACTIVE:
            self.failures.append(
                {"uuid": str(uuid), "status": subscription.status, "error": subscription.error}
            )

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def as_json(self) -> dict:
        return {
            "resources": self.total,
            "active": self.statuses.get(Status.ACTIVE, 0),
            "failed": self.statuses.get(Status.FAILED, 0),
            "refused": self.statuses.get(Status.REFUSED, 0),
            "failures": self.failures,
        }


def wanted_resources(*, retry_refused: bool = False):
    """Provisioned resources with a token whose subscription is missing, pending or failed
    (refused ones too when RETRY_REFUSED)."""
    statuses = [Status.PENDING, Status.FAILED] + ([Status.REFUSED] if retry_refused else [])
    return (
        AddonResource.objects.provisioned()
        .exclude(access_token="")
        .filter(Q(webhook_subscription__isnull=True) | Q(webhook_subscription__status__in=statuses))
        .select_related("addon")
        .order_by("pk")
    )


def subscribe_wanted(
    *, resources=None, limit: int | None = None, retry_refused: bool = False
) -> SubscribeReport:
    """Subscribe each of RESOURCES (default: `wanted_resources`), at most LIMIT; report."""
    if resources is None:
        resources = wanted_resources(retry_refused=retry_refused)
    if limit is not None:
        resources = resources[:limit]
    client = WebhookClient()
    report = SubscribeReport()
    for resource in resources:
        report.count(subscribe_resource(resource=resource, client=client), resource.uuid)
    return report
