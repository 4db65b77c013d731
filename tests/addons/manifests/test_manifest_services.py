"""The manifest services refuse bad values whoever calls them: portal, import, admin or a script."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from addons.manifests import services
from addons.models import Addon

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
