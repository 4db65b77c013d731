"""Manifest values that broke the portal: refused, naming the field, with nothing written.

Values Python's URL parser rejects (`urlsplit` raises ValueError), ports out of range, text the
database cannot store (NUL, lone surrogates sent as JSON escapes) and text that is not one line
(portal/text.py), on every path: the service, the portal form, the import and the admin.
"""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEvent
from addons.manifests import services
from addons.models import Addon, Plan
from tests.addons.admin.test_addons_admin import addon_data, change_url, form_errors

pytestmark = pytest.mark.django_db

BAD_URLS = [
    "http://[::1",  # urlsplit: Invalid IPv6 URL
    "https://[bad]/heroku/resources",  # urlsplit: not an IPv4 or IPv6 address
    "https://[::1/sso/login",
    "https://portal.example.com:99999/heroku/resources",  # .port: out of range 0-65535
    "https://portal.example.com:0/heroku/resources",
    "https://portal.example.com/heroku/\x1b[2Jresources",
    "https://portal.example.com/heroku/resources\u202e",
]
UNSTORABLE = ["\x00", "\ud800", "\udfff"]


def stored(addon) -> dict:
    return Addon.objects.values().get(pk=addon.pk)


# The service: every caller --------------------------------------------------------------------
@pytest.mark.parametrize("field", ["base_url", "sso_url"])
@pytest.mark.parametrize("url", BAD_URLS + [f"https://portal.example.com/{c}" for c in UNSTORABLE])
def test_the_service_refuses_a_url_python_cannot_read_or_store(addon, field, url):
    before = stored(addon)

    with pytest.raises(ValidationError) as refusal:
        services.update_manifest(addon=addon, actor=None, changes={field: url})

    assert list(refusal.value.message_dict) == [field]
    assert stored(addon) == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *(("name", f"Acme {c}") for c in [*UNSTORABLE, "\n", "\x1b", "\u202e"]),
        *(("api_password", "p" * 16 + c) for c in [*UNSTORABLE, "\n"]),
        *(("sso_salt", "s" * 16 + c) for c in [*UNSTORABLE, "\t"]),
        *(("regions", ["us", f"eu{c}"]) for c in UNSTORABLE),
        *(("config_vars", [f"ACME_SEARCH_URL{c}"]) for c in UNSTORABLE),
        *(("config_vars_prefix", f"ACME{c}") for c in UNSTORABLE),
    ],
)
def test_the_service_refuses_text_it_cannot_store(addon, field, value):
    before = stored(addon)

    with pytest.raises(ValidationError) as refusal:
        services.update_manifest(addon=addon, actor=None, changes={field: value})

    assert list(refusal.value.message_dict) == [field]
    # The message may be shown on a page: it never quotes what cannot be encoded.
    assert all(text.isprintable() for text in refusal.value.messages)
    assert stored(addon) == before


@pytest.mark.parametrize("name", ["Acme\nCache", "Acme\x07", "Acme \u202eCache", "\ud800"])
def test_add_ons_and_plans_are_named_in_one_line(company, plan, name):
    with pytest.raises(ValidationError) as refusal:
        services.create_addon(company=company, slug="acme-cache", name=name, actor=None)
    assert list(refusal.value.message_dict) == ["name"]
    with pytest.raises(ValidationError) as refusal:
        services.create_plan(
            addon=plan.addon, slug="team", name=name, price_cents=0, visibility="public", actor=None
        )
    assert list(refusal.value.message_dict) == ["name"]
    with pytest.raises(ValidationError) as refusal:
        services.update_plan(plan=plan, name=name, price_cents=0, visibility="public", actor=None)
    assert list(refusal.value.message_dict) == ["name"]
    assert Addon.objects.count() == 1 and Plan.objects.count() == 3
    assert not AuditEvent.objects.exists()


# The portal's manifest form -------------------------------------------------------------------
@pytest.mark.parametrize("field", ["base_url", "sso_url"])
@pytest.mark.parametrize("url", BAD_URLS)
def test_the_manifest_form_refuses_a_bad_url_on_its_field(manager_client, addon, field, url):
    data = {
        "base_url": "https://portal.example.com/heroku/resources",
        "sso_url": "https://portal.example.com/sso/login",
        "regions": "us eu",
        "config_vars_prefix": "",
        "config_vars": "ACME_SEARCH_URL",
    }
    before = stored(addon)

    response = manager_client.post(
        reverse("addons:manifest", args=[addon.slug]), data | {field: url}
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert stored(addon) == before


# The import: values sent as JSON escapes --------------------------------------------------------
def manifest_of(addon) -> dict:
    manifest = services.manifest_json(Addon.objects.get(pk=addon.pk))
    manifest["api"]["password"] = "p" * 32
    manifest["api"]["sso_salt"] = "s" * 32
    return manifest


def put(manifest: dict, path: str, value) -> dict:
    *parents, last = path.split(".")
    target = manifest
    for key in parents:
        target = target[key]
    target[last] = value
    return manifest


IMPORT_PATHS = {
    "name": "Acme {c}",
    "api.production.base_url": "https://portal.example.com/{c}",
    "api.production.sso_url": "https://portal.example.com/sso/{c}",
    "api.regions": ["us", "e{c}"],
    "api.config_vars": ["ACME_SEARCH_URL", "ACME_SEARCH_{c}"],
    "api.config_vars_prefix": "ACME{c}",
    "api.password": "p" * 20 + "{c}",
    "api.sso_salt": "s" * 20 + "{c}",
}


def with_char(template, char):
    if isinstance(template, list):
        return [item.replace("{c}", char) for item in template]
    return template.replace("{c}", char)


@pytest.mark.parametrize("path", IMPORT_PATHS)
@pytest.mark.parametrize("char", [*UNSTORABLE, "\n", "\x1b"])
def test_the_import_refuses_what_cannot_be_stored_naming_the_path(
    manager_client, addon, path, char
):
    manifest = put(manifest_of(addon), path, with_char(IMPORT_PATHS[path], char))
    before = stored(addon)

    response = manager_client.post(
        reverse("addons:manifest-import", args=[addon.slug]),
        # json.dumps writes the surrogates and NUL as \\ud800 and \\u0000 escapes.
        {"manifest_json": json.dumps(manifest)},
    )

    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any(error.startswith(f"{path}:") for error in errors), errors
    assert stored(addon) == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_import_refuses_a_bad_url_naming_the_path(manager_client, addon, url):
    manifest = put(manifest_of(addon), "api.production.base_url", url)

    response = manager_client.post(
        reverse("addons:manifest-import", args=[addon.slug]),
        {"manifest_json": json.dumps(manifest)},
    )

    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any(error.startswith("api.production.base_url:") for error in errors), errors


def test_the_import_refuses_a_manifest_nested_too_deep_naming_the_path(manager_client, addon):
    manifest = put(manifest_of(addon), "api.regions", [[[[["us"]]]]])
    raw = json.dumps(manifest).replace('[[[[["us"]]]]]', "[" * 30_000 + "]" * 30_000)

    response = manager_client.post(
        reverse("addons:manifest-import", args=[addon.slug]), {"manifest_json": raw}
    )

    assert response.status_code == 400
    (error,) = response.context["form"].non_field_errors()
    assert error.startswith("api.regions: nests arrays and objects more than 5 levels deep")


# The admin --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_url", "https://portal.example.com:99999/heroku/resources"),
        ("sso_url", "https://[::1/sso/login"),
        ("name", "Acme\x1bSearch"),
        ("regions", '["us", "eu\\u0000"]'),
        ("config_vars", '["ACME_SEARCH_\\ud800"]'),
        ("regions", "[" * 30_000 + "]" * 30_000),
        ("billing_email", "billing\u200b@example.com"),
    ],
)
def test_the_admin_refuses_a_bad_manifest_value_on_its_field(operator_client, addon, field, value):
    before = stored(addon)

    response = operator_client.post(change_url(addon), addon_data(addon, **{field: value}))

    assert response.status_code == 200
    assert field in form_errors(response)
    assert stored(addon) == before
    assert not AuditEvent.objects.exists()


def test_the_admin_refuses_a_plan_name_that_is_not_one_line(operator_client, addon):
    response = operator_client.post(
        change_url(addon), addon_data(addon, plans={"basic": {"name": "Basic\nplan"}})
    )

    assert response.status_code == 200
    assert Plan.objects.get(addon=addon, slug="basic").name == "Basic"
    assert not AuditEvent.objects.exists()
