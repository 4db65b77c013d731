"""EMAIL_URL: every scheme the portal starts with can send, and the others stop it at start-up.

The file backend used to pass `manage.py check` and then fail on the first e-mail ("OPTIONS must
define 'file_path'"); a malformed URL stopped the start-up with a bare ValueError.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.mailers import mailers_from_url
from tests.production import manage, production_env

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def test_filemail_writes_to_the_directory_in_the_url(tmp_path):
    directory = tmp_path / "mail"

    mailer = mailers_from_url(f"filemail://{directory}")["default"]

    assert mailer == {"BACKEND": FILE_BACKEND, "OPTIONS": {"file_path": str(directory)}}


def test_smtp_keeps_its_host_credentials_and_tls():
    mailer = mailers_from_url("smtp+tls://portal:p%40ss@smtp.example.com:587", timeout=7)

    assert mailer["default"] == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "smtp.example.com",
            "port": 587,
            "username": "portal",
            "password": "p@ss",
            "use_tls": True,
            "timeout": 7,
        },
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("foo://x", "EMAIL_URL: unknown scheme 'foo'"),
        ("memorymail://", "EMAIL_URL: memorymail:// keeps e-mails in the process's memory"),
        ("filemail://", "EMAIL_URL: filemail:// needs the directory to write to"),
        ("filemail://mail/dir", "EMAIL_URL: filemail:// needs the directory to write to"),
        ("smtp://[::1", "EMAIL_URL is not a URL that can be read: Invalid IPv6 URL"),
        ("smtp://smtp.example.com:99999", "EMAIL_URL is not a URL that can be read: Port out"),
        ("smtp://", "EMAIL_URL: smtp:// needs a host"),
    ],
)
def test_a_scheme_that_cannot_send_is_refused_at_start_up(url, message):
    with pytest.raises(ImproperlyConfigured) as refusal:
        mailers_from_url(url)

    assert str(refusal.value).startswith(message)


def test_filemail_refuses_a_directory_it_cannot_write(tmp_path):
    a_file = tmp_path / "not-a-directory"
    a_file.write_text("")

    with pytest.raises(ImproperlyConfigured, match="is not a directory"):
        mailers_from_url(f"filemail://{a_file}")
    with pytest.raises(ImproperlyConfigured, match="is not a directory"):
        mailers_from_url(f"filemail://{a_file}/mail")


def test_a_file_mailer_sends_from_a_real_process(tmp_path):
    directory = tmp_path / "mail"
    env = production_env(EMAIL_URL=f"filemail://{directory}", DEBUG="true")

    result = manage("sendtestemail", "someone@example.com", env=env)

    assert result.returncode == 0, result.stderr
    (message,) = directory.iterdir()
    assert "To: someone@example.com" in message.read_text()


@pytest.mark.parametrize("url", ["foo://x", "smtp://[::1", "filemail://"])
def test_a_process_with_a_bad_email_url_stops_with_the_reason(url):
    result = manage("check", env=production_env(EMAIL_URL=url, DEBUG="true"))

    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_URL" in result.stderr
