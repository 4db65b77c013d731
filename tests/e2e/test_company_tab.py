"""The Company tab in a real browser: a person signs up, creates a company and manages its users."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import CompanyUser, Invitation
from accounts.permissions import Permission
from tests.e2e.steps import (
    check_key_page,
    join_provider_program,
    log_in,
    main,
    sign_up,
    user_row,
    users_table,
    verification_link,
    verify_email,
)

ALL_LABELS = [permission.label for permission in Permission]
UNKNOWN = "stranger@example.com"


@pytest.fixture
def manager_page(live_server, page, manager, password):
    """The browser of the company's manager, logged in and showing the Company tab."""
    log_in(page, live_server.url, manager.user.email, password, path="/company/acme/users/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Add-ons: company users")
    return page


def test_newcomer_signs_up_verifies_joins_and_creates_a_company(
    live_server, page, password, settings, screenshot
):
    settings.SITE_URL = live_server.url  # the verification link points at this server
    page.goto(live_server.url)

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    check_key_page(page, screenshot, "login")

    main(page).get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign up")
    check_key_page(page, screenshot, "signup")
    sign_up(page, "founder@example.com", password, name="Fay Founder")
    check_key_page(page, screenshot, "verification-sent")
    expect(page.locator("#user-tools")).not_to_contain_text("founder@example.com")
    page.goto(verification_link(live_server.url, "founder@example.com"))
    check_key_page(page, screenshot, "verify-email")
    main(page).get_by_role("button", name="Verify my address").click()

    expect(page).to_have_url(f"{live_server.url}/provider/home")
    expect(main(page)).to_contain_text("You are not a user of any company yet.")
    check_key_page(page, screenshot, "provider-home")
    join_provider_program(page)

    main(page).get_by_role("link", name="Create a company").click()
    page.get_by_label("Company name").fill("Founder Add-ons")
    page.get_by_label("Short name (used in links)").fill("founder")
    page.get_by_role("button", name="Create the company").click()

    expect(page).to_have_url(f"{live_server.url}/company/founder/users/")
    expect(page.locator(".messagelist")).to_contain_text("You hold every permission.")
    expect(users_table(page).locator("tbody tr")).to_have_count(1)
    row = user_row(page, "founder@example.com")
    expect(row).to_contain_text("founder@example.com (you)")
    expect(row).to_contain_text("Fay Founder")
    expect(row.get_by_role("listitem")).to_have_text(ALL_LABELS)
    check_key_page(page, screenshot, "company-tab")


def test_manager_adds_a_person_who_has_joined(manager_page, colleague):
    page = manager_page
    page.get_by_label("Email address").fill("colleague@example.com")
    page.get_by_role("button", name="Add company user").click()

    expect(page.locator(".messagelist")).to_have_text(
        "colleague@example.com was added and told by email."
    )
    expect(users_table(page).locator("tbody tr")).to_have_count(2)
    expect(user_row(page, "colleague@example.com")).to_contain_text("Colin Colleague")
    assert [message.to for message in mail.outbox] == [["colleague@example.com"]]


def test_unknown_email_gets_the_exact_message(manager_page, screenshot):
    page = manager_page
    page.get_by_label("Email address").fill(UNKNOWN)
    page.get_by_role("button", name="Add company user").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Add a company user")
    expect(main(page).locator(".errorlist")).to_have_text(
        f"{UNKNOWN} doesn't have a Heroku account associated with it"
    )
    expect(page.get_by_label("Email address")).to_have_value(UNKNOWN)
    expect(page.get_by_role("button", name="Send an invitation instead")).to_be_visible()
    check_key_page(page, screenshot, "add-user-error")


def test_invitation_is_sent_then_accepted_in_another_browser(
    live_server, manager_page, browser, password, settings, screenshot
):
    settings.SITE_URL = live_server.url  # the link in the email points at this server
    page = manager_page
    page.get_by_label("Email address").fill("Invitee@Example.com")
    page.get_by_role("button", name="Add company user").click()
    page.get_by_role("button", name="Send an invitation instead").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "An invitation was sent to invitee@example.com. To send it another way too, its link"
    )
    expect(page.get_by_role("region", name="Pending invitations")).to_contain_text(
        "invitee@example.com"
    )
    check_key_page(page, screenshot, "company-tab-with-invitation")
    (email,) = mail.outbox
    assert email.to == ["invitee@example.com"]
    link = re.search(rf"{re.escape(live_server.url)}/invitations/\S+", email.body).group()

    invitee_context = browser.new_context()
    try:
        invitee = invitee_context.new_page()
        invitee.goto(link)
        expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Acme Add-ons")
        check_key_page(invitee, screenshot, "invitation-anonymous")

        main(invitee).get_by_role("link", name="sign up").click()
        sign_up(invitee, "invitee@example.com", password)
        verify_email(invitee, live_server.url, "invitee@example.com")
        expect(invitee).to_have_url(link)
        join_provider_program(invitee)
        expect(invitee).to_have_url(link)
        accept = invitee.get_by_role("button", name="Accept the invitation")
        check_key_page(invitee, screenshot, "invitation-accept")
        accept.click()

        expect(invitee).to_have_url(f"{live_server.url}/company/acme/users/")
        expect(invitee.locator(".messagelist")).to_have_text("You are now a user of Acme Add-ons.")
    finally:
        invitee_context.close()

    page.reload()
    expect(user_row(page, "invitee@example.com")).to_be_visible()
    expect(page.get_by_role("region", name="Pending invitations")).to_contain_text(
        "No pending invitations."
    )
    assert Invitation.objects.get().accepted_at is not None


def test_manager_edits_permissions(manager_page, manager, colleague, screenshot):
    CompanyUser.objects.create(company=manager.company, user=colleague, added_by=manager.user)
    page = manager_page
    page.reload()

    user_row(page, "colleague@example.com").get_by_role("link", name="Edit permissions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Permissions of colleague@example.com"
    )
    check_key_page(page, screenshot, "permissions-edit")
    for label in ("Update add-on manifests", "View and reset OAuth secrets"):
        page.get_by_label(label).uncheck()
    page.get_by_role("button", name="Save permissions").click()

    expect(page.locator(".messagelist")).to_have_text(
        "The permissions of colleague@example.com were saved."
    )
    kept = [p.label for p in Permission if p not in {p.MANAGE_MANIFESTS, p.OAUTH_SECRETS}]
    expect(user_row(page, "colleague@example.com").get_by_role("listitem")).to_have_text(kept)
    expect(user_row(page, "manager@example.com").get_by_role("listitem")).to_have_text(ALL_LABELS)


def test_revoked_user_is_refused_at_once_in_their_own_browser(
    live_server, manager_page, manager, colleague, browser, password, screenshot
):
    CompanyUser.objects.create(company=manager.company, user=colleague, added_by=manager.user)
    colleague_context = browser.new_context()
    try:
        colleague_page = colleague_context.new_page()
        log_in(
            colleague_page,
            live_server.url,
            "colleague@example.com",
            password,
            path="/company/acme/users/",
        )
        expect(colleague_page.get_by_role("heading", level=1)).to_have_text(
            "Acme Add-ons: company users"
        )

        page = manager_page
        page.reload()
        user_row(page, "colleague@example.com").get_by_role("link", name="Revoke").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Revoke colleague@example.com?")
        check_key_page(page, screenshot, "revoke-confirmation")
        page.get_by_role("button", name="Yes, revoke colleague@example.com").click()

        expect(page.locator(".messagelist")).to_have_text(
            "colleague@example.com is no longer a company user."
        )
        expect(users_table(page)).not_to_contain_text("colleague@example.com")

        response = colleague_page.reload()
        assert response.status == 404
    finally:
        colleague_context.close()
    assert not CompanyUser.objects.filter(user__email="colleague@example.com").exists()


def test_only_manager_cannot_give_up_managing_users(manager_page, manager):
    page = manager_page
    user_row(page, "manager@example.com").get_by_role("link", name="Edit permissions").click()
    page.get_by_label("Add and remove other company users").uncheck()
    page.get_by_role("button", name="Save permissions").click()

    expect(main(page).locator(".errorlist")).to_have_text(
        "manager@example.com is the last user of Acme Add-ons who can manage company users. "
        "Give that right to someone else first."
    )
    manager.refresh_from_db()
    assert Permission.MANAGE_COMPANY_USERS in manager.permissions


def test_only_manager_cannot_revoke_themselves(manager_page, manager):
    page = manager_page
    user_row(page, "manager@example.com").get_by_role("link", name="Revoke").click()

    # What would be refused is not offered: the reason instead of "Yes, revoke".
    expect(page.get_by_role("button", name="Yes, revoke manager@example.com")).to_have_count(0)
    expect(main(page).locator(".errornote")).to_have_text(
        "manager@example.com is the last user of Acme Add-ons who can manage company users. "
        "Give that right to someone else first."
    )
    assert CompanyUser.objects.filter(pk=manager.pk).exists()
