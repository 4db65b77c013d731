"""An add-on's service settings: the URL the portal sends lifecycle events to, and the secret
that signs them. Company users with the manifests right set them on the add-on's pages; every
change is audited, and the secret is shown once, on the answer that generates it."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import AuditEvent, User
from addons.manifests.validators import validate_production_url
from addons.models import Addon, AddonService


def _audit(addon: Addon, *, actor: User | None, action: str, **details) -> None:
    AuditEvent.objects.create(
        company=addon.company, actor=actor, action=action, target=addon.slug, details=details
    )


def _locked_service(addon: Addon) -> AddonService:
    AddonService.objects.get_or_create(addon=addon)
    return (
        AddonService.objects.select_for_update().select_related("addon__company").get(addon=addon)
    )


def service_of(addon: Addon) -> AddonService | None:
    """Return ADDON's service settings, or None when it has none."""
    return AddonService.objects.filter(addon=addon).first()


@transaction.atomic
def set_service_url(*, addon: Addon, url: str, actor: User | None) -> AddonService:
    """Send ADDON's lifecycle events to URL (https), or to no service when URL is empty."""
    url = url.strip()
    if url:
        try:
            validate_production_url(url)
        except ValidationError as refusal:
            raise ValidationError({"url": refusal.messages}) from None
    service = _locked_service(addon)
    if service.url == url:
        return service
    before = service.url
    service.url = url
    service.full_clean()
    service.save(update_fields=["url", "updated_at"])
    _audit(addon, actor=actor, action=AuditEvent.Action.SERVICE_CHANGED, before=before, after=url)
    return service


@transaction.atomic
def generate_service_secret(*, addon: Addon, actor: User | None) -> str:
    """Give ADDON's service a new signing secret and return it (shown once); the old one stops."""
    service = _locked_service(addon)
    service.signing_secret = secrets.token_urlsafe(32)
    service.secret_generated_at = timezone.now()
    service.save(update_fields=["signing_secret", "secret_generated_at", "updated_at"])
    _audit(addon, actor=actor, action=AuditEvent.Action.SERVICE_SECRET_GENERATED)
    return service.signing_secret
