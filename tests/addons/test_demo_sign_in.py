"""The DEBUG-only "Sign in as a Heroku customer" page of the offline demo."""

import re

import pytest
from django.urls import reverse

from addons.heroku.fake.demo import DEMO_RESOURCES
from addons.models import AddonResource

pytestmark = pytest.mark.django_db

DEMO_URL = "/demo/"
FORM = re.compile(r'<form method="post" action="/sso/login">(.*?)</form>', re.S)
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def forms_of(page: str) -> list[dict[str, str]]:
    return [dict(FIELD.findall(form)) for form in FORM.findall(page)]


def test_the_page_is_reversed_where_the_url_table_says():
    assert reverse("addons:demo-customer-sign-in") == DEMO_URL


def test_the_page_is_a_404_when_debug_is_off(client, demo_loaded, settings):
    settings.DEBUG = False
    assert client.get(DEMO_URL).status_code == 404
    assert "Sign in as a Heroku customer" not in client.get("/accounts/login/").text


def test_the_login_page_links_to_it_in_development(client, debug_on):
    page = client.get("/accounts/login/").text
    assert f'href="{DEMO_URL}"' in page


def test_one_click_opens_the_dashboard_of_a_synced_resource(client, demo_loaded, debug_on):
    page = client.get(DEMO_URL)
    assert page.status_code == 200
    # The CSP allows no inline script: plain forms, and only the base page's script files.
    assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == []
    forms = forms_of(page.text)
    shop = DEMO_RESOURCES[0]["resource_uuid"]
    casey = next(f for f in forms if f["resource_id"] == shop and f["email"].startswith("casey"))
    assert set(casey) >= {"resource_id", "timestamp", "user_id", "email"}

    answer = client.post("/sso/login", casey)
    assert answer.status_code == 302
    assert answer["Location"] == f"/dashboard/{shop}/"
    dashboard = client.get(answer["Location"]).text
    for email in ("casey@brightside.test", "robin@brightside.test"):
        assert email in dashboard


def test_every_person_of_every_synced_resource_gets_a_form(client, demo_loaded, debug_on):
    forms = forms_of(client.get(DEMO_URL).text)
    offered = {(f["resource_id"], f["email"]) for f in forms}
    synced = {
        (str(resource.uuid), grant.email)
        for resource in AddonResource.objects.all()
        for grant in resource.grants.all()
    }
    assert offered == synced and len(synced) == 6


def test_a_form_signs_its_own_person_only(client, demo_loaded, debug_on):
    form = forms_of(client.get(DEMO_URL).text)[0]
    tampered = {**form, "email": "mallory@example.com"}
    assert client.post("/sso/login", tampered).status_code == 403


def test_without_demo_data_the_page_says_how_to_load_it(client, debug_on):
    page = client.get(DEMO_URL)
    assert page.status_code == 200
    assert "load_demo_data" in page.text
