"""Development e-mail: the console prints each message's text whole, so a copied link works."""

import importlib
import re

import pytest

from accounts import services
from accounts.permissions import Permission

pytestmark = pytest.mark.django_db

# What EMAIL_URL=consolemail:// (the development default) selects in portal/settings.py; the
# test settings replace it with locmem, so it is read from the settings module itself.
DEVELOPMENT_MAILERS = importlib.import_module("portal.settings").MAILERS


@pytest.fixture
def console_email(settings):
    settings.MAILERS = DEVELOPMENT_MAILERS
    settings.SITE_URL = "http://127.0.0.1:8765"


def test_consolemail_selects_the_portals_console_backend():
    assert DEVELOPMENT_MAILERS["default"]["BACKEND"] == "portal.mail.ConsoleEmailBackend"


def test_an_invitation_link_copied_from_the_console_works(
    console_email, client, company, manager, invitee, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_company_user(
            company=company,
            email="invitee@example.com",
            permissions={Permission.SUPPORT_TICKETS},
            actor=services.CompanyUserActor(manager),
        )
    printed = capsys.readouterr().out
    # Copied as a person would: from the start of the link to the end of its line.
    (link,) = re.findall(r"^(http://127\.0\.0\.1:8765/\S*invitations\S*)$", printed, re.M)
    assert "quoted-printable" not in printed
    client.force_login(invitee)
    page = client.get(link.removeprefix("http://127.0.0.1:8765"))
    assert page.status_code == 200
    assert "Accept the invitation" in page.text
    assert "Subject: " in printed and "To: invitee@example.com" in printed


def test_non_ascii_text_is_printed_as_written(console_email, capsys):
    from django.core.mail import send_mail

    send_mail("Grüße", "Café: ünïcode — and a long line " + "x" * 120, None, ["a@example.com"])
    printed = capsys.readouterr().out
    assert "Subject: Grüße" in printed
    assert "Café: ünïcode — and a long line " + "x" * 120 in printed


def test_html_alternatives_and_attachments_are_mentioned_not_dumped(console_email, capsys):
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives("Hi", "The text part.", None, ["a@example.com"])
    message.attach_alternative("<p>The HTML part.</p>", "text/html")
    message.attach("notes.txt", "attached text", "text/plain")
    message.send()
    printed = capsys.readouterr().out
    assert "The text part." in printed
    assert "The HTML part." not in printed and "attached text" not in printed
    assert "(Also attached: text/html, notes.txt; not shown.)" in printed
