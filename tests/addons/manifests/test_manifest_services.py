"""The manifest services refuse bad values whoever calls them: portal, import, admin or a script."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from addons.manifests import services
from addons.manifests.exceptions import AddonInUseError, PlanInUseError
from addons.models import Addon, AddonResource, Plan

pytestmark = pytest.mark.django_db


def refused(addon, **changes) -> dict[str, list[str]]:
    """The errors, by field, with which update_manifest refuses CHANGES to ADDON."""
    with pytest.raises(ValidationError) as refusal:
        services.update_manifest(addon=addon, actor=None, changes=changes)
    return refusal.value.message_dict


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"base_url": "http://portal.example.com/heroku/resources"},
            "base_url",
            "Heroku calls production URLs over https only: use an https:// URL.",
        ),
        (
            {"sso_url": "http://localhost:8000/sso/login"},
            "sso_url",
            "Heroku calls production URLs over https only: use an https:// URL.",
        ),
        ({"regions": ["us", "<eu>"]}, "regions", "Not a region name: <eu>."),
        ({"regions": "us"}, "regions", "Enter a list of region names."),
        (
            {"config_vars": ["ACME_SEARCH_URL", "acme_search_token"]},
            "config_vars",
            "Not a config var name: acme_search_token.",
        ),
        ({"config_vars": ["OTHER_URL"]}, "config_vars", "Must start with ACME_SEARCH_: OTHER_URL."),
        ({"config_vars": [1]}, "config_vars", "Enter a list of config var names."),
        (
            {"config_vars_prefix": "acme"},
            "config_vars_prefix",
            "Use upper-case letters, digits and underscores.",
        ),
        # A new prefix that the stored config vars do not start with.
        (
            {"config_vars_prefix": "SEARCH"},
            "config_vars",
            "Must start with SEARCH_: ACME_SEARCH_URL.",
        ),
        ({"api_password": "short"}, "api_password", "Must be a string of 16 to 255 characters."),
    ],
)
def test_update_manifest_refuses_bad_values_by_field(addon, settings, changes, field, message):
    settings.DEBUG = False
    before = Addon.objects.values().get(pk=addon.pk)

    assert refused(addon, **changes)[field] == [message]
    assert Addon.objects.values().get(pk=addon.pk) == before
    assert not AuditEvent.objects.exists()


def test_every_refused_field_is_named_at_once(addon):
    errors = refused(addon, base_url="ftp://x.example.com", regions=["<us>"])
    assert set(errors) == {"base_url", "regions"}


def test_plain_http_is_accepted_for_localhost_only_while_debug_is_on(addon, settings):
    settings.DEBUG = True
    local = "http://127.0.0.1:8000/heroku/resources"
    services.update_manifest(addon=addon, actor=None, changes={"base_url": local})
    assert Addon.objects.get(pk=addon.pk).base_url == local
    assert refused(addon, sso_url="http://portal.example.com/sso/login")


def test_empty_urls_are_accepted_until_the_manifest_is_filled_in(addon):
    services.update_manifest(addon=addon, actor=None, changes={"base_url": "", "sso_url": ""})
    assert Addon.objects.get(pk=addon.pk).base_url == ""


def test_a_new_prefix_and_config_vars_that_match_it_are_accepted(addon):
    services.update_manifest(
        addon=addon,
        actor=None,
        changes={"config_vars_prefix": "SEARCH", "config_vars": ["SEARCH_URL"]},
    )
    addon.refresh_from_db()
    assert (addon.config_vars_prefix, addon.config_vars) == ("SEARCH", ["SEARCH_URL"])
    assert AuditEvent.objects.get().details == {"fields": ["config_vars", "config_vars_prefix"]}


def test_unchanged_values_are_not_checked_again(addon):
    """A manifest stored before a rule existed can still be edited field by field."""
    Addon.objects.filter(pk=addon.pk).update(regions=["Not A Region"])
    addon.refresh_from_db()
    services.update_manifest(
        addon=addon, actor=None, changes={"regions": ["Not A Region"], "name": "Acme Search 2"}
    )
    assert Addon.objects.get(pk=addon.pk).name == "Acme Search 2"


# Add-ons and plans ------------------------------------------------------------------------------
def audit(action) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def test_create_addon_audits_and_gives_it_secrets(company, manager):
    addon = services.create_addon(
        company=company, slug="acme-cache", name=" Acme Cache ", actor=manager.user
    )
    addon.refresh_from_db()
    assert (addon.name, addon.company) == ("Acme Cache", company)
    assert len(addon.api_password) == 32 and len(addon.sso_salt) == 32
    event = audit(AuditEvent.Action.ADDON_CREATED)
    assert (event.company, event.actor, event.target, event.details) == (
        company,
        manager.user,
        "acme-cache",
        {"name": "Acme Cache"},
    )


@pytest.mark.parametrize("slug", ["acme-search", "Not a slug"])
def test_create_addon_refuses_a_taken_or_bad_id(company, addon, slug):
    with pytest.raises(ValidationError) as refusal:
        services.create_addon(company=company, slug=slug, name="X", actor=None)
    assert list(refusal.value.message_dict) == ["slug"]
    assert Addon.objects.count() == 1 and not AuditEvent.objects.exists()


def test_delete_addon_takes_its_plans_and_keeps_the_audit_on_the_company(addon, manager):
    services.delete_addon(addon=addon, actor=manager.user)
    assert not Addon.objects.exists() and not Plan.objects.exists()
    event = audit(AuditEvent.Action.ADDON_DELETED)
    assert event.company == addon.company and event.target == "acme-search"
    assert event.details == {
        "name": "Acme Search",
        "plans": ["basic", "pro", "enterprise"],
        "tickets": 0,
    }


def test_delete_addon_is_refused_once_it_has_resources(addon, provisioned_resource):
    with pytest.raises(AddonInUseError, match="acme-search cannot be deleted: it has 1 resource,"):
        services.delete_addon(addon=addon, actor=None)
    assert Addon.objects.filter(pk=addon.pk).exists() and not AuditEvent.objects.exists()


def test_create_plan_audits_its_values(addon, manager):
    plan = services.create_plan(
        addon=addon,
        slug="team",
        name="Team",
        price_cents=5000,
        visibility=Plan.Visibility.HIDDEN,
        actor=manager.user,
    )
    assert plan.addon == addon
    assert audit(AuditEvent.Action.PLAN_CREATED).details == {
        "plan": "team",
        "name": "Team",
        "price_cents": 5000,
        "visibility": "hidden",
    }


@pytest.mark.parametrize(
    ("slug", "price_cents", "visibility"),
    [("basic", 0, "public"), ("team", -1, "public"), ("team", 0, "secret")],
)
def test_create_plan_refuses_bad_values(addon, slug, price_cents, visibility):
    with pytest.raises(ValidationError):
        services.create_plan(
            addon=addon,
            slug=slug,
            name="Team",
            price_cents=price_cents,
            visibility=visibility,
            actor=None,
        )
    assert addon.plans.count() == 3 and not AuditEvent.objects.exists()


def test_update_plan_audits_before_and_after(plan, manager):
    services.update_plan(
        plan=plan, name="Basic", price_cents=900, visibility="hidden", actor=manager.user
    )
    plan.refresh_from_db()
    assert (plan.price_cents, plan.visibility) == (900, "hidden")
    assert audit(AuditEvent.Action.PLAN_CHANGED).details == {
        "plan": "basic",
        "before": {"price_cents": 0, "visibility": "public"},
        "after": {"price_cents": 900, "visibility": "hidden"},
    }


def test_update_plan_without_a_change_audits_nothing(plan):
    services.update_plan(plan=plan, name="Basic", price_cents=0, visibility="public", actor=None)
    assert not AuditEvent.objects.exists()


def test_delete_plan_audits(plan, manager):
    services.delete_plan(plan=plan, actor=manager.user)
    assert not Plan.objects.filter(pk=plan.pk).exists()
    assert audit(AuditEvent.Action.PLAN_DELETED).details["plan"] == "basic"


def test_delete_plan_is_refused_while_a_resource_uses_it(plan, provisioned_resource):
    provisioned_resource.state = AddonResource.State.DEPROVISIONED
    provisioned_resource.save()
    with pytest.raises(PlanInUseError) as refusal:
        services.delete_plan(plan=plan, actor=None)
    assert str(refusal.value) == (
        "The plan basic of acme-search cannot be deleted: 1 resource uses it "
        "(de-provisioned ones are kept as history)."
    )
    assert Plan.objects.filter(pk=plan.pk).exists() and not AuditEvent.objects.exists()
