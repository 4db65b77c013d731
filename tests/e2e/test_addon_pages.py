"""A company user goes through an add-on's pages in a real browser: overview, manifest, OAuth
secret and plans, each checked for layout at phone width and accessibility."""

from playwright.sync_api import expect

from tests.builders import CLIENT_SECRET
from tests.e2e.steps import check_key_page, log_in, main


def test_company_user_goes_through_an_add_ons_pages(
    live_server,
    page,
    manager,
    password,
    addon,
    resource,
    screenshot,
):
    log_in(page, live_server.url, manager.user.email, password, path="/addons/")
    main(page).get_by_role("link", name="Acme Search").click()

    expect(page).to_have_url(f"{live_server.url}/addons/acme-search/")
    expect(main(page).get_by_role("region", name="Plans")).to_contain_text("acme-search:pro")
    expect(main(page).get_by_role("region", name="Resources")).to_contain_text("happy-app")
    check_key_page(page, screenshot, "addon")

    nav = main(page).get_by_role("navigation", name="Add-on pages")
    nav.get_by_role("link", name="Manifest").click()
    expect(main(page).get_by_role("heading", name="Manifest of acme-search")).to_be_visible()
    expect(page.get_by_label("Partner API URL (base_url)")).to_have_value(addon.base_url)
    expect(page.get_by_label("Regions")).to_have_value("us eu")
    check_key_page(page, screenshot, "manifest")

    nav.get_by_role("link", name="OAuth client secret").click()
    expect(main(page)).not_to_contain_text(CLIENT_SECRET)
    page.get_by_role("button", name="Reveal the secret").click()
    expect(page.locator("#oauth-secret")).to_have_text(CLIENT_SECRET)
    check_key_page(page, screenshot, "oauth-secret")

    nav.get_by_role("link", name="Install plans").click()
    expect(main(page).get_by_role("heading", name="Install a plan at list price")).to_be_visible()
    check_key_page(page, screenshot, "plans")
