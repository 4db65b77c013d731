"""The demo add-on, "Acme Search": its manifest, plans and OAuth client secret."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.models import Company, User
from addons.manifests import services as manifests
from addons.manifests.validators import validate_production_url
from addons.models import Addon, Plan

ADDON_SLUG = "acme-search"
PLANS = (
    ("basic", "Basic", 0, Plan.Visibility.PUBLIC),
    ("test", "Test", 0, Plan.Visibility.HIDDEN),
)
# Where a deployed portal would be, for a SITE_URL that a manifest may not name (plain http on
# a host other than loopback).
DEPLOYED_URL = "https://partners.acme.test"


def _portal_url() -> str:
    try:
        validate_production_url(settings.SITE_URL)
    except ValidationError:
        return DEPLOYED_URL
    return settings.SITE_URL


def load_addon(*, company: Company, owner: User) -> Addon:
    """Create Acme Search with a filled manifest, two plans and an OAuth secret; return it."""
    addon = Addon.objects.filter(slug=ADDON_SLUG).first()
    if addon is None:
        addon = manifests.create_addon(
            company=company, slug=ADDON_SLUG, name="Acme Search", actor=owner
        )
    portal = _portal_url()
    addon = manifests.update_manifest(
        addon=addon,
        actor=owner,
        changes={
            "base_url": f"{portal}/heroku/resources",
            "sso_url": f"{portal}/sso/login",
            "regions": ["us", "eu"],
            "config_vars_prefix": "ACME_SEARCH",
            "config_vars": ["ACME_SEARCH_URL"],
        },
    )
    if not addon.marketing_description:
        addon = manifests.update_marketing_and_billing(
            addon=addon,
            actor=owner,
            marketing_description="Full-text search for your app's data, hosted by Acme.",
            billing_email="billing@acme.test",
        )
    for slug, name, price_cents, visibility in PLANS:
        if not addon.plans.filter(slug=slug).exists():
            manifests.create_plan(
                addon=addon,
                slug=slug,
                name=name,
                price_cents=price_cents,
                visibility=visibility,
                actor=owner,
            )
    if not addon.oauth_client_secret:
        manifests.reset_oauth_secret(addon=addon, actor=owner)
    return Addon.objects.get(pk=addon.pk)
