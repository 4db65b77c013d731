"""The portal's navigation: the header's sections, the company home, breadcrumbs and sub-nav."""

import re

import pytest
from django.urls import reverse

from accounts.models import CompanyUser
from accounts.permissions import Permission
from addons.models import AddonResource, Ticket
from addons.tickets.services import TicketSource, assign_ticket, open_ticket
from tests.builders import make_provider

pytestmark = pytest.mark.django_db


def header_links(response) -> dict[str, str]:
    """Return the header's sections: label -> address."""
    html = response.content.decode()
    nav = re.search(r'<nav id="portal-nav".*?</nav>', html, re.S)
    assert nav, "the page has no portal navigation"
    return dict(
        (label, href) for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav[0])
    )


def home(company):
    return reverse("addons:company-home", args=[company.slug])


# The header ------------------------------------------------------------------------------------


def test_a_manager_sees_company_addons_and_tickets(manager_client, company):
    links = header_links(manager_client.get(reverse("provider-home")))

    assert links == {
        "Company": home(company),
        "Add-ons": reverse("addons:list"),
        "Tickets": reverse("addons:ticket-list"),
    }


def test_tickets_are_linked_only_for_those_who_handle_them(client, company, manager, password):
    developer = CompanyUser.objects.create(
        company=company,
        user=make_provider("dev@example.com", password),
        permissions={Permission.MANAGE_MANIFESTS},
    )
    client.force_login(developer.user)

    links = header_links(client.get(reverse("addons:list")))

    assert set(links) == {"Company", "Add-ons"}


def test_an_operator_sees_the_admin_only(client, operator):
    client.force_login(operator)

    assert header_links(client.get(reverse("provider-home"))) == {"Admin": reverse("admin:index")}


def test_the_current_section_is_marked(manager_client, company, addon):
    html = manager_client.get(reverse("addons:manifest", args=[addon.slug])).content.decode()

    assert f'<a href="{reverse("addons:list")}" aria-current="page">Add-ons</a>' in html


def test_someone_in_two_companies_reaches_both_through_the_provider_home(
    manager_client, manager, other_company
):
    CompanyUser.objects.create(company=other_company, user=manager.user)

    links = header_links(manager_client.get(reverse("addons:list")))
    assert links["Company"] == reverse("provider-home")
    html = manager_client.get(reverse("provider-home")).content.decode()
    assert home(manager.company) in html and home(other_company) in html


# The company home ------------------------------------------------------------------------------


@pytest.fixture
def failing_resource(addon, plan):
    """A provisioned resource whose last sync failed and whose OAuth grant was refused."""
    return AddonResource.objects.create(
        uuid="5f4b8f2e-0d7c-4a4f-9d43-8f0e6f1f7b11",
        addon=addon,
        plan=plan,
        name="acme-search-failing",
        state=AddonResource.State.PROVISIONED,
        sync_status=AddonResource.SyncStatus.FAILED,
        grant_error="invalid_grant",
    )


def test_the_company_home_shows_addon_health(manager_client, company, resource, failing_resource):
    response = manager_client.get(home(company))

    assert response.status_code == 200
    addon = response.context["addons"].get()
    assert (addon.provisioned, addon.sync_ok, addon.sync_unhealthy, addon.grant_errors) == (
        2,
        1,
        1,
        1,
    )
    assert "1 failing" in response.content.decode()


def test_the_company_home_lists_my_open_tickets_and_the_unassigned(
    manager_client, manager, addon, resource
):
    mine, unassigned, closed = (
        open_ticket(
            addon=addon,
            subject=subject,
            body="…",
            requester_email="c@example.org",
            source=TicketSource.DASHBOARD,
        )
        for subject in ("Mine", "Nobody's", "Closed")
    )
    assign_ticket(ticket=mine, assignee=manager.user, actor=manager.user)
    Ticket.objects.filter(pk=closed.pk).update(status=Ticket.Status.CLOSED)

    response = manager_client.get(home(manager.company))

    assert list(response.context["my_tickets"]) == [mine]
    assert list(response.context["unassigned_tickets"]) == [unassigned]


def test_the_company_home_hides_tickets_from_those_without_the_right(
    client, company, manager, addon, password
):
    developer = CompanyUser.objects.create(
        company=company,
        user=make_provider("dev@example.com", password),
        permissions={Permission.MANAGE_MANIFESTS},
    )
    client.force_login(developer.user)

    response = client.get(home(company))

    assert response.status_code == 200
    assert "Open tickets" not in response.content.decode()


def test_the_company_home_is_not_found_for_strangers(client, company, other_company_user):
    client.force_login(other_company_user.user)

    assert client.get(home(company)).status_code == 404


@pytest.mark.parametrize("count", [1, 20])
def test_the_company_home_runs_a_fixed_number_of_queries(
    manager_client, company, addon, plan, count, django_assert_num_queries
):
    for n in range(count):
        AddonResource.objects.create(
            uuid=f"00000000-0000-4000-8000-{n:012d}", addon=addon, plan=plan, name=f"r{n}"
        )
        open_ticket(
            addon=addon,
            subject=f"Problem {n}",
            body="…",
            requester_email="c@example.org",
            source=TicketSource.DASHBOARD,
        )

    # session, user, membership, header memberships, add-ons, mine, unassigned, users
    with django_assert_num_queries(8):
        assert manager_client.get(home(company)).status_code == 200


# Inside an add-on ------------------------------------------------------------------------------


def test_an_addon_page_has_breadcrumbs_a_heading_and_a_marked_sub_nav(
    manager_client, company, addon
):
    html = manager_client.get(reverse("addons:oauth-secret", args=[addon.slug])).content.decode()

    crumbs = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', html, re.S)[1]
    assert re.findall(r">([^<>]+)</(?:a|li)>", crumbs) == [
        "Acme Add-ons",
        "Add-ons",
        "Acme Search",
        "OAuth client secret",
    ]
    assert re.search(r"<h1>OAuth client secret <span[^>]*>· Acme Search</span></h1>", html)
    subnav = re.search(r'<nav aria-label="Add-on pages".*?</nav>', html, re.S)[0]
    assert re.findall(r'aria-current="page">([^<]+)<', subnav) == ["OAuth client secret"]


def test_the_sub_nav_links_only_what_the_rights_allow(client, company, manager, addon, password):
    developer = CompanyUser.objects.create(
        company=company,
        user=make_provider("dev@example.com", password),
        permissions={Permission.OAUTH_SECRETS},
    )
    client.force_login(developer.user)

    html = client.get(reverse("addons:detail", args=[addon.slug])).content.decode()

    subnav = re.search(r'<nav aria-label="Add-on pages".*?</nav>', html, re.S)[0]
    assert re.findall(r">([^<>]+)</a>", subnav) == ["Overview and resources", "OAuth client secret"]


@pytest.mark.parametrize("count", [1, 15])
def test_the_addons_list_runs_a_fixed_number_of_queries(
    manager_client, company, count, django_assert_num_queries
):
    from addons.models import Addon

    for n in range(count):
        Addon.objects.create(company=company, slug=f"addon-{n}", name=f"Add-on {n}")

    # session, user, add-ons (with company and resource counts), the header's memberships
    with django_assert_num_queries(4):
        response = manager_client.get(reverse("addons:list"))
    assert len(response.context["addons"]) == count


def test_the_addon_page_costs_the_same_for_one_resource_or_many(manager_client, addon, plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert (
                manager_client.get(reverse("addons:detail", args=[addon.slug])).status_code == 200
            )
        return len(captured)

    AddonResource.objects.create(
        uuid="00000000-0000-4000-8000-000000000000", addon=addon, plan=plan
    )
    one = queries()
    for n in range(1, 25):
        AddonResource.objects.create(
            uuid=f"00000000-0000-4000-8000-{n:012d}", addon=addon, plan=plan, name=f"r{n}"
        )

    assert queries() == one
