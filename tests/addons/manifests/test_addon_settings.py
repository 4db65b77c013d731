"""The add-on's settings pages: who may see them, what they change, and that no secret leaks."""

import json
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent, CompanyUser, User
from accounts.permissions import ALL_PERMISSIONS, Permission
from addons.models import Addon, AddonResource

# (URL name, the right it needs or None for any company user)
PAGES = [
    ("addons:detail", None),
    ("addons:manifest", Permission.MANAGE_MANIFESTS),
    ("addons:manifest-import", Permission.MANAGE_MANIFESTS),
    ("addons:password-regenerate", Permission.MANAGE_MANIFESTS),
    ("addons:oauth-secret", Permission.OAUTH_SECRETS),
    ("addons:oauth-secret-reset", Permission.OAUTH_SECRETS),
    ("addons:marketing", Permission.MARKETING_BILLING),
    ("addons:plans", Permission.INSTALL_PLANS),
]


def member_without(company, permission, email="limited@example.com"):
    user = User.objects.create_user(email, "pw-limited-123")
    CompanyUser.objects.create(
        company=company, user=user, permissions=ALL_PERMISSIONS - {permission}
    )
    return user


@pytest.fixture
def outsider(db):
    return User.objects.create_user("outsider@example.com", "pw-outsider-123")


def secrets_of(addon):
    addon = Addon.objects.get(pk=addon.pk)
    return [addon.api_password, addon.sso_salt, addon.oauth_client_secret]


# Who may see what -------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "permission"), PAGES)
def test_anonymous_is_sent_to_log_in(client, addon, name, permission):
    response = client.get(reverse(name, args=[addon.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "permission"), PAGES)
def test_non_member_gets_404(client, addon, outsider, name, permission):
    client.force_login(outsider)
    assert client.get(reverse(name, args=[addon.slug])).status_code == 404
    assert client.post(reverse(name, args=[addon.slug])).status_code == 404


@pytest.mark.parametrize(("name", "permission"), [p for p in PAGES if p[1]])
def test_member_without_the_right_gets_403(client, addon, company, name, permission):
    client.force_login(member_without(company, permission))
    assert client.get(reverse(name, args=[addon.slug])).status_code == 403
    assert client.post(reverse(name, args=[addon.slug])).status_code == 403


@pytest.mark.parametrize(("name", "permission"), PAGES)
def test_member_with_the_right_gets_the_page(manager_client, addon, name, permission):
    response = manager_client.get(reverse(name, args=[addon.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    # No inline script or style: the CSP forbids them.
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=", html)


def test_unknown_addon_is_404(manager_client, addon):
    assert manager_client.get(reverse("addons:detail", args=["nope"])).status_code == 404


def test_export_needs_manage_manifests(client, addon, company, outsider):
    url = reverse("addons:manifest-export", args=[addon.slug])
    client.force_login(member_without(company, Permission.MANAGE_MANIFESTS))
    assert client.post(url).status_code == 403
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MANIFEST_EXPORTED).exists()


def test_resource_page_of_another_companys_addon_is_404(
    client, provisioned_resource, other_addon, outsider
):
    resource = provisioned_resource
    from accounts.models import CompanyUser

    CompanyUser.objects.create(company=other_addon.company, user=outsider)
    client.force_login(outsider)
    url = reverse("addons:resource-detail", args=[resource.addon.slug, resource.uuid])
    assert client.get(url).status_code == 404
    url = reverse("addons:resource-detail", args=[other_addon.slug, resource.uuid])
    assert client.get(url).status_code == 404


# No secret by accident --------------------------------------------------------------------------
def test_no_page_shows_a_secret(manager_client, addon, provisioned_resource):
    resource = provisioned_resource
    urls = [reverse(name, args=[addon.slug]) for name, _ in PAGES]
    urls += [
        reverse("addons:list"),
        reverse("addons:resource-detail", args=[addon.slug, resource.uuid]),
    ]
    hidden = [*secrets_of(addon), resource.access_token, resource.refresh_token]
    for url in urls:
        html = manager_client.get(url).content.decode()
        for secret in hidden:
            assert secret not in html, url


def test_invalid_forms_show_no_secret(manager_client, addon):
    for name, data in [
        ("addons:manifest", {"base_url": "http://example.com"}),
        ("addons:manifest-import", {"manifest_json": "{"}),
        ("addons:marketing", {"billing_email": "not-an-email"}),
    ]:
        response = manager_client.post(reverse(name, args=[addon.slug]), data)
        assert response.status_code == 400
        for secret in secrets_of(addon):
            assert secret not in response.content.decode()


# The add-on page --------------------------------------------------------------------------------
def test_addon_page_lists_plans_resources_and_grant_errors(
    manager_client, addon, provisioned_resource
):
    provisioned_resource.app_name = "shiny-app"
    provisioned_resource.grant_error = (
        "The OAuth grant exchange failed (HTTP 503) on attempt 1; retrying."
    )
    provisioned_resource.save()
    html = manager_client.get(reverse("addons:detail", args=[addon.slug])).content.decode()
    assert "Enterprise" in html and "Hidden" in html and "$900.00" in html
    assert "shiny-app" in html and "Never synced" in html
    assert "HTTP 503" in html


def make_resources(addon, count):
    plan = addon.plans.get(slug="basic")
    AddonResource.objects.bulk_create(
        AddonResource(
            uuid=uuid.uuid4(), addon=addon, plan=plan, state=AddonResource.State.PROVISIONED
        )
        for _ in range(count)
    )


def test_addon_page_query_count_does_not_grow_with_resources(manager_client, addon):
    url = reverse("addons:detail", args=[addon.slug])
    make_resources(addon, 5)
    with CaptureQueriesContext(connection) as few:
        assert manager_client.get(url).status_code == 200
    make_resources(addon, 45)
    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(url)
    assert response.content.decode().count("/resources/") >= 50
    assert len(many) == len(few)


def test_addon_list_shows_only_my_companies_addons(manager_client, addon, other_addon):
    html = manager_client.get(reverse("addons:list")).content.decode()
    assert "Acme Search" in html and "Other Cache" not in html


# Manifest ---------------------------------------------------------------------------------------
def manifest_data(**overrides):
    return {
        "base_url": "https://portal.example.com/heroku/resources",
        "sso_url": "https://portal.example.com/sso/login",
        "regions": "us, eu",
        "config_vars_prefix": "ACME",
        "config_vars": "ACME_URL\nACME_TOKEN_URL",
        **overrides,
    }


def test_manifest_form_shows_the_current_values(manager_client, addon):
    response = manager_client.get(reverse("addons:manifest", args=[addon.slug]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["base_url"].value() == addon.base_url
    assert form["sso_url"].value() == addon.sso_url
    assert form["regions"].value() == "us eu"
    assert form["config_vars"].value() == "ACME_SEARCH_URL"
    html = response.content.decode()
    assert f'value="{addon.base_url}"' in html
    assert "e.g. https://portal.example.com/sso/login" in html  # help text, not an HTML tag


def test_manifest_is_saved_and_audited(manager_client, addon, manager):
    response = manager_client.post(reverse("addons:manifest", args=[addon.slug]), manifest_data())
    assert response.status_code == 302
    addon.refresh_from_db()
    assert addon.regions == ["us", "eu"]
    assert addon.config_vars == ["ACME_URL", "ACME_TOKEN_URL"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.MANIFEST_UPDATED)
    assert event.actor == manager.user and event.target == addon.slug
    assert "config_vars" in event.details["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_url", "http://portal.example.com/heroku/resources"),
        ("sso_url", "ftp://portal.example.com/sso/login"),
        ("sso_url", ""),
        ("regions", "us <eu>"),
        ("config_vars_prefix", "acme"),
        ("config_vars", "OTHER_URL"),
    ],
)
def test_manifest_errors_are_shown_per_field(manager_client, addon, field, value):
    response = manager_client.post(
        reverse("addons:manifest", args=[addon.slug]), manifest_data(**{field: value})
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not AuditEvent.objects.exists()


def test_http_is_allowed_for_localhost_only_in_debug(manager_client, addon, settings):
    url = reverse("addons:manifest", args=[addon.slug])
    local = manifest_data(base_url="http://localhost:8000/heroku/resources")
    settings.DEBUG = False
    assert manager_client.post(url, local).status_code == 400
    settings.DEBUG = True
    assert manager_client.post(url, local).status_code == 302


def test_password_is_regenerated_only_after_confirmation(manager_client, addon, heroku):
    url = reverse("addons:password-regenerate", args=[addon.slug])
    old = secrets_of(addon)[0]
    assert manager_client.get(url).status_code == 200
    assert secrets_of(addon)[0] == old

    assert manager_client.post(url).status_code == 302
    new = secrets_of(addon)[0]
    assert new != old and len(new) == 32
    assert AuditEvent.objects.get().details == {"fields": ["api_password"], "regenerated": True}
    # Heroku's old password stops working.
    assert heroku.deprovision(uuid.uuid4()).status_code == 401


def test_export_downloads_the_v3_manifest_and_is_audited(manager_client, addon, manager):
    assert (
        manager_client.get(reverse("addons:manifest-export", args=[addon.slug])).status_code == 405
    )
    response = manager_client.post(reverse("addons:manifest-export", args=[addon.slug]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="acme-search-manifest.json"'
    assert "no-store" in response["Cache-Control"]
    password, salt, _ = secrets_of(addon)
    urls = {
        "base_url": "https://portal.example.com/heroku/resources",
        "sso_url": "https://portal.example.com/sso/login",
    }
    assert json.loads(response.content) == {
        "id": "acme-search",
        "name": "Acme Search",
        "api": {
            "config_vars_prefix": "ACME_SEARCH",
            "config_vars": ["ACME_SEARCH_URL"],
            "password": password,
            "sso_salt": salt,
            "regions": ["us", "eu"],
            "requires": [],
            "production": urls,
            "test": urls,
            "version": "3",
        },
    }
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.MANIFEST_EXPORTED and event.actor == manager.user


def exported(addon, **api):
    from addons.manifests.services import manifest_json

    manifest = manifest_json(Addon.objects.get(pk=addon.pk))
    manifest["api"].update(api)
    return manifest


def test_import_applies_a_manifest(manager_client, addon):
    manifest = exported(
        addon,
        password="p" * 32,
        sso_salt="s" * 32,
        regions=["us"],
        production={"base_url": "https://new.example.com/heroku/resources", "sso_url": ""},
    )
    manifest["api"]["production"]["sso_url"] = "https://new.example.com/sso/login"
    response = manager_client.post(
        reverse("addons:manifest-import", args=[addon.slug]),
        {"manifest_json": json.dumps(manifest)},
    )
    assert response.status_code == 302
    addon.refresh_from_db()
    assert addon.base_url == "https://new.example.com/heroku/resources"
    assert addon.regions == ["us"]
    assert addon.api_password == "p" * 32 and addon.sso_salt == "s" * 32
    assert set(AuditEvent.objects.get().details["fields"]) >= {"api_password", "sso_salt"}


def test_import_from_an_uploaded_file(manager_client, addon):
    manifest = exported(addon, regions=["us"])
    upload = SimpleUploadedFile("manifest.json", json.dumps(manifest).encode())
    response = manager_client.post(
        reverse("addons:manifest-import", args=[addon.slug]), {"manifest_file": upload}
    )
    assert response.status_code == 302
    addon.refresh_from_db()
    assert addon.regions == ["us"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"id": "another-addon"}, "id: must be “acme-search”"),
        ({"api": {"password": "x"}}, "api.production"),
        (
            {"api.production": {"base_url": "http://x.example.com", "sso_url": "https://x.io"}},
            "api.production.base_url",
        ),
        ({"api.regions": "us"}, "api.regions: must be a list"),
        ({"api.password": "short"}, "api.password"),
        ({"api.version": "1"}, "api.version"),
        ({"name": ""}, "name:"),
    ],
)
def test_import_errors_name_the_field(manager_client, addon, change, error):
    manifest = exported(addon)
    for key, value in change.items():
        if key.startswith("api."):
            manifest["api"][key[4:]] = value
        else:
            manifest[key] = value
    response = manager_client.post(
        reverse("addons:manifest-import", args=[addon.slug]),
        {"manifest_json": json.dumps(manifest)},
    )
    assert response.status_code == 400
    assert error in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("text", ["", "{", "[]", '"x"', "[" * 5000])
def test_import_of_what_is_not_a_manifest(manager_client, addon, text):
    response = manager_client.post(
        reverse("addons:manifest-import", args=[addon.slug]), {"manifest_json": text}
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


# OAuth secret -----------------------------------------------------------------------------------
def test_secret_is_revealed_on_post_only_and_audited(manager_client, addon, manager):
    url = reverse("addons:oauth-secret", args=[addon.slug])
    secret = secrets_of(addon)[2]
    assert secret not in manager_client.get(url).content.decode()

    response = manager_client.post(url)
    assert response.status_code == 200
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.OAUTH_SECRET_REVEALED
    assert event.actor == manager.user
    assert secret not in json.dumps(event.details)
    # Coming back shows it no more.
    assert secret not in manager_client.get(url).content.decode()


def test_secret_is_reset_only_after_confirmation(manager_client, addon):
    url = reverse("addons:oauth-secret-reset", args=[addon.slug])
    old = secrets_of(addon)[2]
    assert manager_client.get(url).status_code == 200
    assert secrets_of(addon)[2] == old and not AuditEvent.objects.exists()

    response = manager_client.post(url)
    new = secrets_of(addon)[2]
    assert new != old and len(new) == 32
    assert new in response.content.decode() and old not in response.content.decode()
    assert AuditEvent.objects.get().action == AuditEvent.Action.OAUTH_SECRET_RESET


# Marketing, billing and plans -------------------------------------------------------------------
def test_marketing_and_billing_are_saved_and_audited(manager_client, addon):
    response = manager_client.post(
        reverse("addons:marketing", args=[addon.slug]),
        {"marketing_description": "Search, fast.", "billing_email": "billing@acme.example"},
    )
    assert response.status_code == 302
    addon.refresh_from_db()
    assert addon.marketing_description == "Search, fast."
    assert addon.billing_email == "billing@acme.example"
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.ADDON_SETTINGS_CHANGED
    assert event.details == {"fields": ["billing_email", "marketing_description"]}


def test_plan_page_lists_public_and_hidden_plans_with_the_command(manager_client, addon):
    html = manager_client.get(reverse("addons:plans", args=[addon.slug])).content.decode()
    assert "heroku addons:create acme-search:enterprise" in html
    assert "heroku addons:create acme-search:basic" in html
    assert "$25.00" in html


def test_a_saved_form_says_so_once(manager_client, addon):
    response = manager_client.post(
        reverse("addons:marketing", args=[addon.slug]),
        {"marketing_description": "x", "billing_email": ""},
        follow=True,
    )
    assert response.content.decode().count("Saved.") == 1
