"""The admin is Partner Portal's: its name, no 'View on site' that 404s, lists as lists, prices
in dollars, and the portal's date format."""

import pytest
from django.urls import reverse
from django.utils import timezone

from addons.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_admin_is_branded(operator_client):
    html = operator_client.get(reverse("admin:index")).content.decode()

    assert "Partner Portal administration" in html
    assert "<title>Operations | Partner Portal admin</title>" in html
    assert "Django administration" not in html


@pytest.mark.parametrize(
    "url",
    [
        lambda addon, ticket: reverse("admin:accounts_company_change", args=[addon.company.pk]),
        lambda addon, ticket: reverse("admin:addons_addon_change", args=[addon.pk]),
        lambda addon, ticket: reverse("admin:addons_ticket_change", args=[ticket.pk]),
    ],
    ids=["company", "addon", "ticket"],
)
def test_no_view_on_site_link_that_404s_for_operators(operator_client, addon, new_ticket, url):
    html = operator_client.get(url(addon, new_ticket)).content.decode()

    assert "View on site" not in html


def test_regions_and_config_vars_are_lists_not_json(operator_client, addon):
    html = operator_client.get(
        reverse("admin:addons_addon_change", args=[addon.pk])
    ).content.decode()

    assert '["us", "eu"]' not in html and "[&quot;us&quot;" not in html
    assert ">\nus\neu</textarea>" in html
    assert ">\nACME_SEARCH_URL</textarea>" in html


def test_plan_prices_are_in_dollars(operator_client, addon):
    pro = addon.plans.get(slug="pro")

    listing = operator_client.get(reverse("admin:addons_plan_changelist")).content.decode()
    form = operator_client.get(reverse("admin:addons_plan_change", args=[pro.pk])).content.decode()

    assert "$25.00" in listing
    assert 'name="price" value="25.00"' in form and "Price a month (USD)" in form


def test_the_admin_and_the_portal_write_dates_alike(operator_client, new_ticket):
    when = timezone.datetime(2026, 3, 4, 5, 6, tzinfo=timezone.UTC)
    Ticket.objects.filter(pk=new_ticket.pk).update(created_at=when)

    html = operator_client.get(reverse("admin:addons_ticket_changelist")).content.decode()

    assert "2026-03-04 05:06" in html
