"""Steps a person takes in the portal's pages, shared by the browser tests."""

import re

from django.core import mail
from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import MOBILE_VIEWPORT


def main(page: Page):
    """Return the page's content area, where the portal's own links and forms are."""
    return page.locator("#content")


def log_in(page: Page, base_url: str, email: str, password: str, *, path: str = "") -> None:
    """Log in through the login form, starting at PATH (or the login page) on BASE_URL."""
    page.goto(base_url + (path or "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    main(page).get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(email)


def log_in_to_admin(page: Page, base_url: str, email: str, password: str) -> None:
    """Log an operator in through the admin's own login page."""
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base_url}/admin/")


def sign_up(page: Page, email: str, password: str, *, name: str = "") -> None:
    """Fill in and send the sign-up form the page is showing; it asks to check the e-mail."""
    page.get_by_label("Email").fill(email)
    if name:
        page.get_by_label("Name").fill(name)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    main(page).get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")


def verification_link(base_url: str, email: str) -> str:
    """Return the link of the last verification e-mail sent to EMAIL (SITE_URL is BASE_URL)."""
    sent = [m for m in mail.outbox if m.to == [email] and "verify" in m.subject.lower()]
    assert sent, f"no verification e-mail to {email} in {[m.to for m in mail.outbox]}"
    return re.search(rf"{re.escape(base_url)}/accounts/confirm-email/\S+", sent[-1].body).group()


def verify_email(page: Page, base_url: str, email: str) -> None:
    """Open the link of the verification e-mail sent to EMAIL and confirm; it logs the person in."""
    page.goto(verification_link(base_url, email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your e-mail address")
    main(page).get_by_role("button", name="Verify my address").click()
    expect(page.locator("#user-tools")).to_contain_text(email)


def join_provider_program(page: Page) -> None:
    """Press "Join the Provider Program" on the page and wait for the confirmation."""
    page.get_by_role("button", name="Join the Provider Program").click()
    expect(page.locator(".messagelist")).to_contain_text("You have joined the Provider Program.")


def users_table(page: Page):
    """Return the Company tab's table of company users."""
    return page.get_by_role("region", name="Company users").get_by_role("table")


def user_row(page: Page, email: str):
    """Return the Company tab's row of the company user with EMAIL."""
    first_cell = page.locator("td:first-child", has_text=re.compile(rf"^{re.escape(email)}\b"))
    return users_table(page).locator("tbody tr").filter(has=first_cell)


def assert_fits_phone_width(page: Page) -> None:
    """Assert that at 390 px the page needs no sideways scrolling (a table may scroll inside)."""
    original = page.viewport_size
    page.set_viewport_size(MOBILE_VIEWPORT)
    try:
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    finally:
        page.set_viewport_size(original)
    assert overflow <= 0, f"{page.url} is {overflow}px wider than a 390 px phone screen"


def check_key_page(page: Page, screenshot, label: str) -> None:
    """Screenshot PAGE at desktop and phone widths, then check its layout and accessibility."""
    screenshot(label, page=page)
    assert_fits_phone_width(page)
    assert_accessible(page)
