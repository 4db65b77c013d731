"""An operator manages a company's users in the Django admin, in a real browser."""

from playwright.sync_api import expect

from accounts.models import CompanyUser, Invitation
from tests.e2e.steps import check_key_page

UNKNOWN = "stranger@example.com"


def test_operator_adding_an_unknown_email_sees_the_exact_message_then_invites(
    operator_page, company, manager, screenshot
):
    page = operator_page
    page.get_by_role("link", name="Companies", exact=True).click()
    page.get_by_role("link", name="Acme Add-ons").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change company")
    expect(page.locator("#members-group")).to_contain_text("manager@example.com")
    check_key_page(page, screenshot, "company")

    page.get_by_role("link", name="Add company user").click()
    page.get_by_label("Email address").fill(UNKNOWN)
    page.get_by_role("button", name="Add company user").click()

    expect(page.locator(".errorlist")).to_have_text(
        f"{UNKNOWN} doesn't have a Heroku account associated with it"
    )
    check_key_page(page, screenshot, "add-user-error")
    assert CompanyUser.objects.count() == 1

    page.get_by_role("button", name="Send an invitation instead").click()
    expect(page.locator(".messagelist")).to_contain_text(f"An invitation was sent to {UNKNOWN}.")
    expect(page.locator("#invitations-group")).to_contain_text(UNKNOWN)
    assert Invitation.objects.get().email == UNKNOWN
