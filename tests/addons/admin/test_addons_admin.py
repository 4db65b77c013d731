"""Operators add and edit add-ons and plans in the admin, through the manifest services."""

import html

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from addons.admin.addons import PlanAdmin
from addons.models import Addon, Plan

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def change_url(addon) -> str:
    return reverse("admin:addons_addon_change", args=[addon.pk])


def addon_data(addon, plans=None, **changes) -> dict:
    """The add-on's change form as the admin would post it back unchanged, with CHANGES.

    PLANS maps a plan's slug to changes of its inline row ({"DELETE": "on"} deletes it); a plan
    not yet in the database is a new row.
    """
    data = {
        "name": addon.name,
        "base_url": addon.base_url,
        "sso_url": addon.sso_url,
        "regions": "us eu",
        "config_vars_prefix": addon.config_vars_prefix,
        "config_vars": "ACME_SEARCH_URL",
        "marketing_description": addon.marketing_description,
        "billing_email": addon.billing_email,
        **changes,
    }
    plans = plans or {}
    rows = list(addon.plans.all())
    new = [slug for slug in plans if slug not in {plan.slug for plan in rows}]
    data |= {
        "plans-TOTAL_FORMS": len(rows) + len(new),
        "plans-INITIAL_FORMS": len(rows),
        "plans-MIN_NUM_FORMS": 0,
        "plans-MAX_NUM_FORMS": 1000,
    }
    for i, plan in enumerate(rows):
        row = {
            "id": plan.pk,
            "addon": addon.pk,
            "name": plan.name,
            "price": f"{plan.price_cents / 100:.2f}",
            "visibility": plan.visibility,
            **plans.get(plan.slug, {}),
        }
        data |= {f"plans-{i}-{key}": value for key, value in row.items()}
    for i, slug in enumerate(new, start=len(rows)):
        row = {"addon": addon.pk, "slug": slug, **plans[slug]}
        data |= {f"plans-{i}-{key}": value for key, value in row.items()}
    return data


class TestAddAddon:
    url = staticmethod(lambda: reverse("admin:addons_addon_add"))

    def test_the_form_asks_for_company_id_and_name_only(self, operator_client):
        page = text(operator_client.get(self.url()))
        for field in ("company", "slug", "name"):
            assert f'name="{field}"' in page
        for field in ("api_password", "sso_salt", "base_url", "plans-TOTAL_FORMS"):
            assert f'name="{field}"' not in page

    def test_adds_through_the_service(self, operator_client, operator, company):
        response = operator_client.post(
            self.url(), {"company": company.pk, "slug": "acme-cache", "name": "Acme Cache"}
        )
        assert response.status_code == 302, text(response)
        addon = Addon.objects.get(slug="acme-cache")
        assert len(addon.api_password) == 32
        event = AuditEvent.objects.get()
        assert (event.action, event.actor, event.target) == (
            AuditEvent.Action.ADDON_CREATED,
            operator,
            "acme-cache",
        )

    def test_a_taken_id_is_a_form_error(self, operator_client, addon):
        response = operator_client.post(
            self.url(), {"company": addon.company.pk, "slug": "acme-search", "name": "X"}
        )
        assert response.status_code == 200
        assert list(form_errors(response)) == ["slug"]
        assert Addon.objects.count() == 1 and not AuditEvent.objects.exists()


class TestChangeAddon:
    def test_the_page_shows_no_secret(self, operator_client, addon):
        addon.set_intake_token("intake-token-value")
        addon.save()
        page = text(operator_client.get(change_url(addon)))
        assert "Acme Search" in page and 'name="plans-0-name"' in page
        for secret in (addon.api_password, addon.sso_salt, addon.oauth_client_secret):
            assert secret not in page
        assert addon.intake_token_hash not in page
        for field in ("api_password", "sso_salt", "oauth_client_secret", "intake_token_hash"):
            assert f'name="{field}"' not in page

    def test_the_manifest_and_plans_are_saved_through_the_services(
        self, operator_client, operator, addon
    ):
        data = addon_data(
            addon,
            plans={
                "pro": {"price": "30.00"},
                "enterprise": {"DELETE": "on"},
                "team": {"name": "Team", "price": "50.00", "visibility": "hidden"},
            },
            sso_url="https://portal.example.com/sso/login/v2",
            regions="us",
        )
        response = operator_client.post(change_url(addon), data)
        assert response.status_code == 302, text(response)
        addon.refresh_from_db()
        assert (addon.sso_url, addon.regions) == ("https://portal.example.com/sso/login/v2", ["us"])
        assert sorted(addon.plans.values_list("slug", "price_cents")) == [
            ("basic", 0),
            ("pro", 3000),
            ("team", 5000),
        ]
        assert sorted(actions()) == sorted(
            [
                AuditEvent.Action.MANIFEST_UPDATED,
                AuditEvent.Action.PLAN_CHANGED,
                AuditEvent.Action.PLAN_DELETED,
                AuditEvent.Action.PLAN_CREATED,
            ]
        )
        manifest = AuditEvent.objects.get(action=AuditEvent.Action.MANIFEST_UPDATED)
        assert manifest.actor == operator
        assert manifest.details == {"fields": ["regions", "sso_url"]}

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            (
                "base_url",
                "http://portal.example.com/heroku/resources",
                "Heroku calls production URLs over https only: use an https:// URL.",
            ),
            ("regions", "us <eu>", "Not a region name: <eu>."),
            ("config_vars", "OTHER_URL", "Must start with ACME_SEARCH_: OTHER_URL."),
            ("config_vars_prefix", "acme", "Use upper-case letters, digits and underscores."),
        ],
    )
    def test_a_refused_value_is_a_form_error_and_nothing_is_saved(
        self, operator_client, addon, settings, field, value, message
    ):
        settings.DEBUG = False
        before = Addon.objects.values().get(pk=addon.pk)
        data = addon_data(
            addon,
            plans={"pro": {"price": "30.00"}},
            marketing_description="Search for everyone.",
            **{field: value},
        )
        response = operator_client.post(change_url(addon), data)
        assert response.status_code == 200
        assert form_errors(response)[field] == [message]
        assert "Search for everyone." in text(response)  # what the operator typed is kept
        # Nothing of the request was written: not the manifest, the settings or the plan.
        assert Addon.objects.values().get(pk=addon.pk) == before
        assert addon.plans.get(slug="pro").price_cents == 2500
        assert not AuditEvent.objects.exists()

    def test_a_refusal_after_a_write_rolls_the_write_back(
        self, operator_client, addon, monkeypatch
    ):
        """update_manifest has written when a later service refuses: nothing stays."""
        from django.core.exceptions import ValidationError

        from addons.manifests import services

        def refuse(**kwargs):
            raise ValidationError({"billing_email": "Refused by the service."})

        monkeypatch.setattr(services, "update_marketing_and_billing", refuse)
        data = addon_data(addon, regions="us", billing_email="billing@acme.example")
        response = operator_client.post(change_url(addon), data)
        assert response.status_code == 200
        assert form_errors(response) == {"billing_email": ["Refused by the service."]}
        addon.refresh_from_db()
        assert addon.regions == ["us", "eu"]
        assert not AuditEvent.objects.exists()

    def test_a_secret_posted_to_the_form_is_ignored(self, operator_client, addon):
        password = addon.api_password
        data = addon_data(addon, api_password="p" * 32, sso_salt="s" * 32)
        assert operator_client.post(change_url(addon), data).status_code == 302
        addon.refresh_from_db()
        assert addon.api_password == password
        assert not AuditEvent.objects.exists()

    def test_a_plan_slug_cannot_change(self, operator_client, addon):
        data = addon_data(addon, plans={"basic": {"slug": "free"}})
        assert operator_client.post(change_url(addon), data).status_code == 302
        assert addon.plans.filter(slug="basic").exists()

    def test_deleting_a_plan_that_resources_use_is_a_form_error(
        self, operator_client, addon, provisioned_resource
    ):
        data = addon_data(addon, plans={"basic": {"DELETE": "on"}})
        response = operator_client.post(change_url(addon), data)
        assert response.status_code == 200
        assert "protected related objects" in text(response)
        assert addon.plans.filter(slug="basic").exists()
        assert not AuditEvent.objects.exists()


class TestDeleteAddon:
    def test_deletes_through_the_service(self, operator_client, addon):
        url = reverse("admin:addons_addon_delete", args=[addon.pk])
        assert operator_client.get(url).status_code == 200
        assert operator_client.post(url, {"post": "yes"}).status_code == 302
        assert not Addon.objects.exists()
        assert actions() == [AuditEvent.Action.ADDON_DELETED]

    def test_an_addon_with_resources_cannot_be_deleted(
        self, operator_client, addon, provisioned_resource
    ):
        url = reverse("admin:addons_addon_delete", args=[addon.pk])
        response = operator_client.post(url, {"post": "yes"})
        assert response.status_code == 200
        assert "Cannot delete add" in text(response)
        assert Addon.objects.filter(pk=addon.pk).exists()


class TestPlanAdmin:
    def test_adds_a_plan_through_the_service(self, operator_client, addon):
        response = operator_client.post(
            reverse("admin:addons_plan_add"),
            {
                "addon": addon.pk,
                "slug": "team",
                "name": "Team",
                "price": "50.00",
                "visibility": "public",
            },
        )
        assert response.status_code == 302, text(response)
        assert addon.plans.filter(slug="team").exists()
        assert actions() == [AuditEvent.Action.PLAN_CREATED]

    def test_a_taken_slug_is_a_form_error(self, operator_client, addon):
        response = operator_client.post(
            reverse("admin:addons_plan_add"),
            {
                "addon": addon.pk,
                "slug": "basic",
                "name": "Basic 2",
                "price": "0.00",
                "visibility": "public",
            },
        )
        assert response.status_code == 200
        assert form_errors(response)
        assert addon.plans.count() == 3 and not AuditEvent.objects.exists()

    def test_changes_a_plan_through_the_service_but_never_its_slug(self, operator_client, plan):
        response = operator_client.post(
            reverse("admin:addons_plan_change", args=[plan.pk]),
            {"slug": "free", "name": "Basic", "price": "9.00", "visibility": "hidden"},
        )
        assert response.status_code == 302, text(response)
        plan.refresh_from_db()
        assert (plan.slug, plan.price_cents, plan.visibility) == ("basic", 900, "hidden")
        assert actions() == [AuditEvent.Action.PLAN_CHANGED]

    def test_a_plan_that_resources_use_cannot_be_deleted(
        self, operator_client, plan, provisioned_resource
    ):
        url = reverse("admin:addons_plan_delete", args=[plan.pk])
        response = operator_client.get(url)
        assert response.status_code == 200
        assert "Cannot delete plan" in text(response)
        assert provisioned_resource.name in text(response)
        assert operator_client.post(url, {"post": "yes"}).status_code == 200
        assert Plan.objects.filter(pk=plan.pk).exists()

    def test_a_refusal_at_delete_time_is_a_message(
        self, operator_client, plan, provisioned_resource, monkeypatch
    ):
        # A resource provisioned between the admin's check and the delete: only the service
        # sees it.
        def nothing_protected(self, objs, request):
            return [], {}, set(), []

        monkeypatch.setattr(PlanAdmin, "get_deleted_objects", nothing_protected)
        url = reverse("admin:addons_plan_delete", args=[plan.pk])
        response = operator_client.post(url, {"post": "yes"}, follow=True)
        assert "The plan basic of acme-search cannot be deleted: 1 resource uses it" in text(
            response
        )
        assert Plan.objects.filter(pk=plan.pk).exists()
        assert not AuditEvent.objects.exists()

    def test_the_changelist_offers_no_bulk_delete(self, operator_client, plan):
        page = text(operator_client.get(reverse("admin:addons_plan_changelist")))
        assert 'value="delete_selected"' not in page
