"""`manage.py check_partner_integration`: its options, its table, its exit status."""

import io
import json
import socket

import pytest
import responses
from django.core.management import CommandError, call_command

from tests.addons.conformance.stub_portal import (
    ADDON,
    CLIENT_SECRET,
    PASSWORD,
    SSO_SALT,
    URL,
    StubPortal,
)

COMMAND = "check_partner_integration"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def manifest_file(tmp_path):
    path = tmp_path / "addon-manifest.json"
    path.write_text(json.dumps({"id": ADDON, "api": {"password": PASSWORD, "sso_salt": SSO_SALT}}))
    return path


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(COMMAND, *args, stdout=out, **options)
    return out.getvalue()


def test_print_settings_names_the_fake_for_the_portal_under_test():
    assert run("--print-settings", "--fake-port", "5099") == (
        "HEROKU_API_URL=http://127.0.0.1:5099\nHEROKU_ID_URL=http://127.0.0.1:5099\n"
    )


def test_the_help_says_how_to_point_the_portal_at_the_fake(capsys):
    with pytest.raises(SystemExit):
        call_command(COMMAND, "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "HEROKU_API_URL=http://127.0.0.1:5055 and HEROKU_ID_URL=http://127.0.0.1:5055" in text


def test_a_conforming_portal_passes_with_secrets_from_a_manifest_and_the_environment(
    port, manifest_file, monkeypatch
):
    monkeypatch.setenv("PARTNER_OAUTH_CLIENT_SECRET", CLIENT_SECRET)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        StubPortal(fake_url=f"http://127.0.0.1:{port}").install(http)
        out = run(URL, "--manifest", str(manifest_file), "--fake-port", str(port))
    assert "provision (with an OAuth grant)  pass" in out
    assert out.rstrip().endswith("The integration passes: 7 passed, 0 failed, 1 skipped.")


def test_a_broken_portal_exits_1_with_the_failing_row(port, manifest_file):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        StubPortal(fake_url=f"http://127.0.0.1:{port}", plan_change_status=500).install(http)
        out = io.StringIO()
        with pytest.raises(CommandError) as failure:
            call_command(
                COMMAND,
                URL,
                "--manifest",
                str(manifest_file),
                "--oauth-client-secret",
                CLIENT_SECRET,
                "--fake-port",
                str(port),
                "--grant-timeout",
                "0",
                stdout=out,
            )
    assert failure.value.returncode == 1
    assert str(failure.value) == "The integration fails: 6 passed, 1 failed, 1 skipped."
    assert "plan change                      FAIL     PUT /heroku/resources/" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Give the portal's address as URL"),
        (["portal.example.com"], "Give the portal's address as URL"),
        ([URL], "Missing --addon, --password, --sso-salt, --oauth-client-secret"),
        ([URL, "--addon", ADDON, "--password", PASSWORD], "Missing --sso-salt"),
        ([URL, "--manifest", "/nonexistent/manifest.json"], "Cannot read /nonexistent/"),
        (["--fake-port", "0", URL], "--fake-port must be between 1 and 65535."),
        ([URL, "--manifest", "{manifest}", "--timeout", "0"], "--timeout must be more than 0"),
        ([URL, "--manifest", "{manifest}", "--async-timeout", "-1"], "cannot be negative"),
    ],
)
def test_bad_options_exit_2_with_a_message(args, message, monkeypatch, manifest_file):
    args = [arg.format(manifest=manifest_file) for arg in args]
    monkeypatch.setenv("PARTNER_OAUTH_CLIENT_SECRET", "x")
    for variable in ("PARTNER_ADDON_ID", "PARTNER_API_PASSWORD", "PARTNER_SSO_SALT"):
        monkeypatch.delenv(variable, raising=False)
    if "--manifest" not in args:
        monkeypatch.delenv("PARTNER_OAUTH_CLIENT_SECRET")
    with pytest.raises(CommandError) as refusal:
        run(*args)
    assert refusal.value.returncode == 2
    assert message in str(refusal.value)


@pytest.mark.parametrize("text", ["{", "[]", '{"id": "x"}'])
def test_a_file_that_is_no_manifest_is_refused(tmp_path, text):
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with pytest.raises(CommandError) as refusal:
        run(URL, "--manifest", str(path))
    assert refusal.value.returncode == 2 and str(path) in str(refusal.value)


def test_a_taken_port_says_to_choose_another(manifest_file):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError) as refusal:
            run(
                URL,
                "--manifest",
                str(manifest_file),
                "--oauth-client-secret",
                CLIENT_SECRET,
                "--fake-port",
                str(port),
            )
    assert refusal.value.returncode == 2
    assert "choose another --fake-port" in str(refusal.value)
