"""Add-on SSO in a real browser: Heroku's auto-submitting form, the dashboard and its tickets.

The live server talks to an in-process fake Heroku (`fake_heroku` points HEROKU_API_URL at it;
live_server runs in a thread of this process, so the settings override reaches it). The resource
has never been synced, so the first SSO login re-fetches its access list from the fake.
"""

import html
import re

import pytest
from playwright.sync_api import expect

from addons.models import AddonResource, Ticket
from addons.sso.sessions import NAV_DATA_COOKIE
from tests.builders import HEROKU_EMAIL, sso_form
from tests.e2e.conftest import watch_for_page_problems
from tests.e2e.steps import check_key_page, log_in, main

NAV_DATA = "eyJhcHBuYW1lIjoiaGFwcHktYXBwIn0="
# Heroku's dashboard is another site: its page is served to the browser under this origin.
HEROKU_DASHBOARD = "http://dashboard.heroku.test"


@pytest.fixture
def never_synced_resource(make_resource):
    """A provisioned resource of happy-app that Heroku knows and the portal never synced."""
    return make_resource(
        app_name="happy-app", owner="owner@example.com", collaborators=[HEROKU_EMAIL]
    )


def open_from_heroku(page, action: str, fields: dict[str, str]) -> None:
    """Show Heroku's SSO page, which posts FIELDS to ACTION as soon as it loads."""
    inputs = "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in fields.items()
    )
    body = (
        "<!doctype html><title>Heroku</title>"
        f'<form id="sso" method="post" action="{html.escape(action)}">{inputs}</form>'
        "<script>document.getElementById('sso').submit();</script>"
    )
    page.route(
        f"{HEROKU_DASHBOARD}/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=body),
    )
    page.goto(f"{HEROKU_DASHBOARD}/apps/happy-app/resources", wait_until="commit")


def test_heroku_user_logs_in_through_sso_and_opens_a_ticket(
    live_server,
    page,
    browser,
    fake_heroku,
    never_synced_resource,
    supporter,
    password,
    screenshot,
):
    resource = never_synced_resource
    user_id = fake_heroku.world.user_id(HEROKU_EMAIL)
    dashboard = f"{live_server.url}/dashboard/{resource.uuid}/"

    open_from_heroku(
        page, f"{live_server.url}/sso/login", sso_form(resource, user_id=user_id, nav_data=NAV_DATA)
    )

    expect(page).to_have_url(dashboard)
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Search on happy-app")
    expect(page.locator("#user-tools")).to_have_text(f"Signed in through Heroku as {HEROKU_EMAIL}")
    facts = main(page).get_by_role("table").first
    expect(facts.get_by_role("row", name="App")).to_contain_text("happy-app")
    expect(facts.get_by_role("row", name="Plan")).to_contain_text("Basic")
    access = main(page).locator(".module", has_text="Who can access this add-on")
    expect(access.get_by_role("heading", level=2)).to_have_text("Who can access this add-on")
    expect(access.locator("tbody tr")).to_have_count(2)  # the owner and dev@, fresh from Heroku
    expect(access).to_contain_text(HEROKU_EMAIL)
    expect(access).to_contain_text("owner@example.com")
    cookies = {c["name"]: c for c in page.context.cookies(live_server.url)}
    # Python's cookie writer quotes a value holding "=" (legal in RFC 6265; Django unquotes it).
    assert cookies[NAV_DATA_COOKIE]["value"].strip('"') == NAV_DATA
    assert cookies[NAV_DATA_COOKIE]["httpOnly"]
    resource.refresh_from_db()
    assert resource.sync_status == AddonResource.SyncStatus.OK  # the login re-fetched the list
    check_key_page(page, screenshot, "dashboard")

    main(page).get_by_role("link", name="Open a support ticket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a support ticket")
    check_key_page(page, screenshot, "ticket-form")
    page.get_by_label("Subject").fill("Search returns nothing")
    page.get_by_label("Body").fill("Since this morning every query on happy-app is empty.")
    page.get_by_role("button", name="Open ticket").click()

    expect(page).to_have_url(dashboard)
    ticket = Ticket.objects.get()
    expect(page.locator(".messagelist")).to_have_text(
        f"Ticket #{ticket.pk} opened. We will reply by email."
    )
    assert ticket.subject == "Search returns nothing"
    assert ticket.requester_email == HEROKU_EMAIL
    assert ticket.resource == resource

    # A company user who answers tickets, in a browser of their own, finds it in the queue.
    with browser.new_context(viewport=page.viewport_size) as agent_context:
        agent = agent_context.new_page()
        problems = watch_for_page_problems(agent)
        log_in(agent, live_server.url, supporter.user.email, password, path="/tickets/")
        expect(agent).to_have_url(f"{live_server.url}/tickets/")
        row = main(agent).locator("tbody tr", has_text="Search returns nothing")
        expect(row).to_contain_text(HEROKU_EMAIL)
        check_key_page(agent, screenshot, "ticket-list")
        row.get_by_role("link", name="Search returns nothing").click()
        expect(agent).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
        expect(agent.get_by_role("heading", level=1)).to_contain_text("Search returns nothing")
        expect(main(agent)).to_contain_text("Since this morning every query on happy-app is empty.")
        check_key_page(agent, screenshot, "ticket")
        assert not problems, "\n".join(problems)


def test_a_tampered_sso_token_is_refused_with_a_page_that_says_why(
    live_server, page, fake_heroku, never_synced_resource, screenshot
):
    fields = sso_form(
        never_synced_resource, user_id=fake_heroku.world.user_id(HEROKU_EMAIL), nav_data=NAV_DATA
    )
    fields["email"] = "intruder@example.com"  # the token no longer signs what is sent

    with page.expect_response(f"{live_server.url}/sso/login") as refusal:
        open_from_heroku(page, f"{live_server.url}/sso/login", fields)

    assert refusal.value.status == 403
    expect(page).to_have_url(f"{live_server.url}/sso/login")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(main(page).locator(".sso-reason")).not_to_be_empty()
    expect(main(page).locator(".sso-advice")).not_to_be_empty()
    assert NAV_DATA_COOKIE not in {c["name"] for c in page.context.cookies(live_server.url)}
    check_key_page(page, screenshot, "refused")
