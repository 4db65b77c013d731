"""The manifest as Heroku holds it: regions with us, test and production URLs, and an export that
round-trips through the format of `heroku addons:admin:manifest:pull` without loss."""

import html
import json
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AuditEvent
from addons.manifests import services
from addons.manifests.imports import read_pulled_manifest
from addons.models import Addon

pytestmark = pytest.mark.django_db

PULLED = Path(__file__).parent / "fixtures" / "pulled-manifest.json"
NO_REGION = "Enter at least one region; Heroku requires us among them."
NO_US = (
    "Add the region us: Heroku refuses a manifest without it (heroku addons:admin:manifest:push)."
)
STAGING = "https://staging.portal.example.com"


def refused(addon, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refusal:
        services.update_manifest(addon=addon, actor=None, changes=changes)
    return refusal.value.message_dict


def exported(addon) -> dict:
    return services.manifest_json(Addon.objects.get(pk=addon.pk))


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def manifest_page_data(addon, **overrides) -> dict:
    return {
        "base_url": addon.base_url,
        "sso_url": addon.sso_url,
        "regions": "us eu",
        "config_vars_prefix": "",
        "config_vars": "ACME_SEARCH_URL",
        **overrides,
    }


def import_manifest(client, addon, manifest: dict, **kwargs):
    return client.post(
        reverse("addons:manifest-import", args=[addon.slug]),
        {"manifest_json": json.dumps(manifest)},
        **kwargs,
    )


# Regions: at least one, and us among them, on every path ------------------------------------
@pytest.mark.parametrize(("regions", "message"), [([], NO_REGION), (["eu"], NO_US)])
def test_the_service_refuses_regions_without_us(addon, regions, message):
    assert refused(addon, regions=regions) == {"regions": [message]}
    assert Addon.objects.get(pk=addon.pk).regions == ["us", "eu"]


@pytest.mark.parametrize(("regions", "message"), [("", NO_REGION), ("eu dublin", NO_US)])
def test_the_manifest_page_refuses_regions_without_us(manager_client, addon, regions, message):
    response = manager_client.post(
        reverse("addons:manifest", args=[addon.slug]),
        manifest_page_data(addon, regions=regions),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["regions"] == [message]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("regions", "message"), [([], NO_REGION), (["eu"], NO_US)])
def test_the_import_refuses_regions_without_us(manager_client, addon, regions, message):
    manifest = exported(addon)
    manifest["api"]["regions"] = regions
    response = import_manifest(manager_client, addon, manifest)
    assert response.status_code == 400
    assert f"api.regions: {message}" in page_text(response)
    assert not AuditEvent.objects.exists()


def test_the_admin_refuses_regions_without_us(operator_client, addon):
    from tests.addons.admin.test_addons_admin import addon_data, change_url

    response = operator_client.post(change_url(addon), addon_data(addon, regions="eu"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["regions"] == [NO_US]
    assert Addon.objects.get(pk=addon.pk).regions == ["us", "eu"]


def test_a_new_addon_starts_in_the_us(company):
    addon = services.create_addon(company=company, slug="acme-cache", name="Cache", actor=None)
    assert Addon.objects.get(pk=addon.pk).regions == ["us"]


# Test and production URLs ---------------------------------------------------------------------
def test_test_urls_are_set_on_the_manifest_page_audited_and_exported(
    manager_client, addon, manager, settings
):
    settings.DEBUG = False
    response = manager_client.post(
        reverse("addons:manifest", args=[addon.slug]),
        manifest_page_data(
            addon,
            test_base_url=f"{STAGING}/heroku/resources",
            test_sso_url=f"{STAGING}/sso/login",
        ),
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.MANIFEST_UPDATED)
    assert event.actor == manager.user
    assert event.details == {"fields": ["test_base_url", "test_sso_url"]}
    api = exported(addon)["api"]
    assert api["production"] == {
        "base_url": "https://portal.example.com/heroku/resources",
        "sso_url": "https://portal.example.com/sso/login",
    }
    assert api["test"] == {
        "base_url": f"{STAGING}/heroku/resources",
        "sso_url": f"{STAGING}/sso/login",
    }


def test_a_test_url_may_be_plain_http_on_any_host(addon, settings):
    settings.DEBUG = False
    local = "http://localhost:4567/heroku/resources"
    services.update_manifest(addon=addon, actor=None, changes={"test_base_url": local})
    assert exported(addon)["api"]["test"]["base_url"] == local
    assert exported(addon)["api"]["test"]["sso_url"] == addon.sso_url


@pytest.mark.parametrize("url", ["ftp://staging.example.com/heroku/resources", "https://"])
def test_a_test_url_must_be_http_or_https_with_a_host(addon, url):
    assert list(refused(addon, test_sso_url=url)) == ["test_sso_url"]


def test_a_test_url_equal_to_the_production_one_is_stored_empty(manager_client, addon):
    response = manager_client.post(
        reverse("addons:manifest", args=[addon.slug]),
        manifest_page_data(addon, test_base_url=addon.base_url),
    )
    assert response.status_code == 302
    assert Addon.objects.get(pk=addon.pk).test_base_url == ""


def test_the_admin_sets_test_urls_through_the_service(operator_client, addon):
    from tests.addons.admin.test_addons_admin import addon_data, change_url

    data = addon_data(addon, test_sso_url=f"{STAGING}/sso/login", requires='["log_input"]')
    assert operator_client.post(change_url(addon), data).status_code == 302
    addon.refresh_from_db()
    assert (addon.test_sso_url, addon.requires) == (f"{STAGING}/sso/login", ["log_input"])
    event = AuditEvent.objects.get(action=AuditEvent.Action.MANIFEST_UPDATED)
    assert event.details == {"fields": ["requires", "test_sso_url"]}


# The pull format, both ways ------------------------------------------------------------------
def test_a_pulled_manifest_is_imported_whole(manager_client, addon, settings):
    settings.DEBUG = False
    pulled = json.loads(PULLED.read_text())
    response = import_manifest(manager_client, addon, pulled, follow=True)
    assert response.status_code == 200
    addon.refresh_from_db()
    assert (addon.test_base_url, addon.test_sso_url) == (
        "http://localhost:4567/heroku/resources",
        "http://localhost:4567/sso/login",
    )
    assert (addon.requires, addon.cli_plugin_name) == (["log_input"], "heroku-acme-search")
    assert addon.manifest_base == 152951532282013
    assert not [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    # The export is the pulled file, `$base` where the CLI now writes it: at the top.
    expected = {**pulled, "$base": pulled["api"]["$base"]}
    expected["api"] = {k: v for k, v in pulled["api"].items() if k != "$base"}
    assert exported(addon) == expected


def test_fields_the_portal_does_not_keep_are_named_and_the_rest_imported(manager_client, addon):
    manifest = exported(addon)
    manifest["logo"] = "https://acme.example/logo.png"
    manifest["api"]["production"]["webhooks_url"] = "https://acme.example/hooks"
    manifest["api"]["regions"] = ["us"]
    response = import_manifest(manager_client, addon, manifest, follow=True)
    assert response.status_code == 200
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        "logo: not a manifest field the portal keeps; it is left out of the portal's export.",
        "api.production.webhooks_url: not a manifest field the portal keeps; "
        "it is left out of the portal's export.",
    ]
    assert Addon.objects.get(pk=addon.pk).regions == ["us"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"api.test": "http://localhost"}, "api.test: must be an object"),
        ({"api.requires": "log_input"}, "api.requires: must be a list of strings."),
        ({"api.requires": ["Log_Input"]}, "api.requires: Not a requirement name: Log_Input."),
        ({"cli_plugin_name": "Not A Package"}, "cli_plugin_name: Enter an npm package name"),
        ({"$base": True}, "$base: Must be the number or string that Heroku wrote there."),
    ],
)
def test_import_errors_of_the_new_fields_name_their_path(manager_client, addon, change, error):
    manifest = exported(addon)
    for key, value in change.items():
        if key.startswith("api."):
            manifest["api"][key[4:]] = value
        else:
            manifest[key] = value
    response = import_manifest(manager_client, addon, manifest)
    assert response.status_code == 400
    assert error in page_text(response)
    assert not AuditEvent.objects.exists()


HOSTS = st.from_regex(r"[a-z][a-z0-9]{0,8}\.example\.(com|org)", fullmatch=True)
SECRETS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
OTHER_REGIONS = ["eu", "dublin", "frankfurt", "oregon", "sydney", "tokyo", "virginia"]


@st.composite
def valid_manifests(draw) -> dict:
    """A v3 manifest of acme-search that the portal can hold, in the export's own form."""
    prefix = draw(st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True))
    suffixes = st.lists(st.from_regex(r"[A-Z0-9_]{1,8}", fullmatch=True), min_size=1, unique=True)
    others = draw(st.lists(st.sampled_from(OTHER_REGIONS), unique=True))
    production = draw(HOSTS)
    test = draw(st.one_of(st.just(f"https://{production}"), HOSTS.map("http://{}:4567".format)))
    manifest = {
        "id": "acme-search",
        "name": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ]{0,30}[A-Za-z0-9]", fullmatch=True)),
    }
    if draw(st.booleans()):
        manifest["cli_plugin_name"] = draw(st.from_regex(r"heroku-[a-z0-9]{1,10}", fullmatch=True))
    if draw(st.booleans()):
        manifest["$base"] = draw(st.one_of(st.integers(min_value=0), st.text(max_size=20)))
    manifest["api"] = {
        "config_vars_prefix": prefix,
        "config_vars": [f"{prefix}_{suffix}" for suffix in draw(suffixes)],
        "password": draw(SECRETS.filter(lambda s: 16 <= len(s) <= 40)),
        "sso_salt": draw(SECRETS.filter(lambda s: 16 <= len(s) <= 40)),
        "regions": draw(st.permutations(["us", *others])),
        "requires": draw(st.lists(st.sampled_from(["log_input", "syslog_drain"]), unique=True)),
        "production": {
            "base_url": f"https://{production}/heroku/resources",
            "sso_url": f"https://{production}/sso/login",
        },
        "test": {"base_url": f"{test}/heroku/resources", "sso_url": f"{test}/sso/login"},
        "version": "3",
    }
    return manifest


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(manifest=valid_manifests())
def test_export_import_export_gives_the_same_json(addon, manifest):
    services.update_manifest(
        addon=addon,
        actor=None,
        changes=read_pulled_manifest(manifest, addon=addon).changes,
    )
    first = exported(addon)
    assert first == manifest
    services.update_manifest(
        addon=addon, actor=None, changes=read_pulled_manifest(first, addon=addon).changes
    )
    assert json.dumps(exported(addon), sort_keys=True) == json.dumps(first, sort_keys=True)
