"""The admin login page, the one page every deployment has, in a real browser."""

from playwright.sync_api import expect

from tests.e2e.a11y import assert_accessible


def test_admin_login_page_renders_accessibly(live_server, page, screenshot):
    response = page.goto(f"{live_server.url}/admin/login/")

    assert response.status == 200
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    assert_accessible(page)
    screenshot("admin-login")


def test_staff_member_logs_in_to_the_admin(live_server, page, operator, password):
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_wrong_password_is_refused_with_a_message(live_server, page, operator):
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()

    expect(page.locator(".errornote")).to_contain_text("correct email")
    expect(page).to_have_url(f"{live_server.url}/admin/login/")
