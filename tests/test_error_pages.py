"""Error pages in the portal's look, each saying why with a way home; quiet logs; the favicon."""

import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import get_template
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import CompanyUser
from accounts.permissions import Permission
from accounts.views.common import login_lockout
from tests.builders import make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def developer_client(client, company, manager, password):
    """A browser of a company user who may only update manifests."""
    developer = CompanyUser.objects.create(
        company=company,
        user=make_provider("dev@example.com", password),
        permissions={Permission.MANAGE_MANIFESTS},
    )
    client.force_login(developer.user)
    return client


def test_a_403_names_the_right_it_needs_in_the_portal_look(developer_client, addon):
    response = developer_client.get(reverse("addons:oauth-secret", args=[addon.slug]))

    assert response.status_code == 403
    html = response.content.decode()
    assert f"You need the “{Permission.OAUTH_SECRETS.label}” right" in html
    assert 'id="portal-nav"' in html
    assert reverse("accounts:home") in html


def test_a_404_says_why_and_offers_a_way_home(manager_client):
    response = manager_client.get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no such page" in html
    assert 'id="portal-nav"' in html
    assert "Go to your home page" in html


def test_the_500_page_renders_without_any_context():
    html = get_template("500.html").render()

    assert "Server error (500)" in html
    assert 'href="/"' in html


def test_a_429_is_in_the_portal_look():
    request = RequestFactory().get("/accounts/login/")
    request.user = AnonymousUser()
    response = login_lockout(request)

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed login attempts" in html
    assert "Go to your home page" in html


def test_a_403_is_one_log_line_without_traceback(developer_client, addon, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        developer_client.get(reverse("addons:oauth-secret", args=[addon.slug]))

    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert len(refusals) == 1
    assert refusals[0].exc_info is None
    assert "Forbidden" in refusals[0].getMessage()


def test_django_logs_through_the_root_only():
    # A console handler of its own would print every line twice (once more at the root).
    django_logger = logging.getLogger("django")
    assert not [h for h in django_logger.handlers if isinstance(h, logging.StreamHandler)]


def test_the_favicon_is_served(db):
    response = Client().get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
