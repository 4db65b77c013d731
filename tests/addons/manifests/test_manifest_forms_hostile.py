"""Hostile input to the add-on settings forms: manifest, import, marketing, and the actions.

A manager posts each form with odd unicode, huge strings, NUL, several values per field and
manifests of any shape (values of any JSON type, nested up to far past Python's recursion
limit). Every answer is a redirect after a complete, audited write that follows the character
rules, or a 400 with nothing written; never a 500.
"""

import json

import hypothesis
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import strategies as st

from accounts.addresses import normalize_email, refused_characters
from accounts.models import AuditEvent
from addons.manifests.services import manifest_json
from addons.models import Addon, Plan
from tests.hostile import (
    FORM_SETTINGS,
    any_json,
    assert_text_rules,
    form_changes,
    nested_json_text,
    nesting_depths,
    post_form,
    rows,
)

pytestmark = pytest.mark.django_db

ONE_LINE = ("name", "base_url", "sso_url", "config_vars_prefix", "api_password", "sso_salt")


def manifest_data():
    return {
        "base_url": "https://portal.example.com/heroku/resources",
        "sso_url": "https://portal.example.com/sso/login",
        "regions": "us eu",
        "config_vars_prefix": "",
        "config_vars": "ACME_SEARCH_URL",
    }


def assert_written_or_refused(response, before, addon):
    if response.status_code == 302:
        stored = Addon.objects.values().get(pk=addon.pk)
        assert_text_rules(stored, one_line=ONE_LINE)
        for item in [*stored["regions"], *stored["config_vars"]]:
            assert_text_rules({"item": item}, one_line=("item",))
        assert AuditEvent.objects.count() <= len(before["AuditEvent"]) + 1
    else:
        assert response.status_code == 400, response.status_code
        assert rows(Addon, Plan, AuditEvent) == before


@FORM_SETTINGS
@hypothesis.given(changes=form_changes(list(manifest_data())))
def test_any_manifest_form_is_saved_whole_or_refused(manager_client, addon, changes):
    before = rows(Addon, Plan, AuditEvent)

    response = post_form(
        manager_client, reverse("addons:manifest", args=[addon.slug]), manifest_data() | changes
    )

    assert_written_or_refused(response, before, addon)


MANIFEST_PATHS = [
    "id",
    "name",
    "api",
    "api.version",
    "api.production",
    "api.production.base_url",
    "api.production.sso_url",
    "api.regions",
    "api.config_vars",
    "api.config_vars_prefix",
    "api.password",
    "api.sso_salt",
]


def manifest_with(addon, changes: dict) -> dict:
    manifest = manifest_json(Addon.objects.get(pk=addon.pk))
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = manifest
        for key in parents:
            target = target.get(key) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[last] = value
    return manifest


@FORM_SETTINGS
@hypothesis.given(
    changes=st.dictionaries(st.sampled_from(MANIFEST_PATHS), any_json, max_size=4),
    upload=st.booleans(),
)
def test_any_manifest_import_is_applied_whole_or_refused(manager_client, addon, changes, upload):
    text = json.dumps(manifest_with(addon, changes))
    data = (
        {
            "manifest_file": SimpleUploadedFile(
                "manifest.json", text.encode("utf-8", "surrogatepass")
            )
        }
        if upload
        else {"manifest_json": text}
    )
    before = rows(Addon, Plan, AuditEvent)

    response = manager_client.post(reverse("addons:manifest-import", args=[addon.slug]), data)

    assert_written_or_refused(response, before, addon)


@FORM_SETTINGS
@hypothesis.given(
    path=st.sampled_from(MANIFEST_PATHS),
    depth=nesting_depths,
    kind=st.sampled_from(["[", "{", "[{"]),
)
def test_a_manifest_nested_at_any_depth_is_read_or_refused_naming_the_path(
    manager_client, addon, path, depth, kind
):
    marker = "NESTED-VALUE-MARKER"
    text = json.dumps(manifest_with(addon, {path: marker}))
    text = text.replace(f'"{marker}"', nested_json_text(depth, kind))
    before = rows(Addon, Plan, AuditEvent)

    response = manager_client.post(
        reverse("addons:manifest-import", args=[addon.slug]), {"manifest_json": text}
    )

    assert_written_or_refused(response, before, addon)
    if depth > 5:
        errors = response.context["form"].non_field_errors()
        assert any("nests arrays and objects more than" in error for error in errors), errors


@FORM_SETTINGS
@hypothesis.given(changes=form_changes(["marketing_description", "billing_email"]))
def test_any_marketing_form_is_saved_whole_or_refused(manager_client, addon, changes):
    data = {"marketing_description": "Search.", "billing_email": "billing@example.com"} | changes
    before = rows(Addon, Plan, AuditEvent)

    response = post_form(manager_client, reverse("addons:marketing", args=[addon.slug]), data)

    assert_written_or_refused(response, before, addon)
    if response.status_code == 302:
        email = Addon.objects.get(pk=addon.pk).billing_email
        assert email == normalize_email(email)
        assert not refused_characters(email)


ACTIONS = ["addons:manifest-export", "addons:password-regenerate", "addons:oauth-secret"]
ACTIONS += ["addons:oauth-secret-reset"]


@FORM_SETTINGS
@hypothesis.given(action=st.sampled_from(ACTIONS), changes=form_changes(["confirm", "next"]))
def test_actions_without_fields_ignore_what_else_is_posted(manager_client, addon, action, changes):
    response = post_form(manager_client, reverse(action, args=[addon.slug]), changes)

    assert response.status_code in {200, 302}, response.status_code
