"""System checks of the Add-on SSO settings."""

from addons.sso.checks import check_sso_settings


def ids(settings_problems):
    return [problem.id for problem in settings_problems]


def test_the_defaults_raise_no_warning():
    assert check_sso_settings(None) == []


def test_legacy_tokens_are_warned_about(settings):
    settings.SSO_ALLOW_LEGACY_TOKEN = True
    assert ids(check_sso_settings(None)) == ["addons.W003"]


def test_a_grace_longer_than_a_session_is_warned_about(settings):
    settings.SSO_STALE_GRACE = settings.SSO_SESSION_AGE + 1
    assert ids(check_sso_settings(None)) == ["addons.W004"]
