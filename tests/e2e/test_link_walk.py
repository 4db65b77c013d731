"""Every page a demo user's rights allow is reachable by following links from the login page.

For each demo login (read from the demo command, so that users added there are walked too) the
test logs in through the login form, then follows links only: never a typed address. The pages
it must reach are computed from the user's rights; a page it reaches that the rights do not
allow, or a link that answers 403 or 404, fails it. The first time any user reaches a kind of
page, it is checked for accessibility and shot at 1280 px and 390 px into the git-ignored
tests/e2e/screenshots/walk/, or, with UPDATE_PAGE_SCREENSHOTS=1, into the committed
tests/e2e/screenshots/pages/ (see the README).
"""

import os
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import Page

from accounts.models import CompanyUser, User
from accounts.permissions import Permission
from addons.management.commands import load_demo_data as demo
from addons.models import Addon
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import DESKTOP_VIEWPORT, MOBILE_VIEWPORT, SCREENSHOT_DIR
from tests.e2e.steps import log_in

PAGES_DIR = SCREENSHOT_DIR / ("pages" if os.environ.get("UPDATE_PAGE_SCREENSHOTS") else "walk")
MAX_PAGES = 80

# The pages a company user reaches, by view name, and the right each needs (None: membership).
MEMBER_PAGES = {
    "addons:company-home": None,
    "accounts:company-users": None,
    "addons:list": None,
    "addons:detail": None,
    "addons:resource-detail": None,
    "addons:manifest": Permission.MANAGE_MANIFESTS,
    "addons:service": Permission.MANAGE_MANIFESTS,
    "addons:oauth-secret": Permission.OAUTH_SECRETS,
    "addons:marketing": Permission.MARKETING_BILLING,
    "addons:plans": Permission.INSTALL_PLANS,
    "addons:ticket-list": Permission.SUPPORT_TICKETS,
    "addons:ticket-detail": Permission.SUPPORT_TICKETS,
}
# Pages a company user may reach that the walk does not require (forms behind a page above).
MEMBER_EXTRA = {
    "provider-home": None,
    "accounts:company-user-add": Permission.MANAGE_COMPANY_USERS,
    "accounts:invitation-create": Permission.MANAGE_COMPANY_USERS,
    "accounts:company-user-edit": None,  # one's own "Lower your permissions"; others' need USERS
    "accounts:company-user-revoke": None,  # "Leave the company"; others' need USERS
    "accounts:company-create": None,
    "addons:manifest-import": Permission.MANAGE_MANIFESTS,
    "addons:password-regenerate": Permission.MANAGE_MANIFESTS,
    "addons:service-secret": Permission.MANAGE_MANIFESTS,
    "addons:resource-rotate": Permission.MANAGE_MANIFESTS,
    "addons:oauth-secret-reset": Permission.OAUTH_SECRETS,
}
# The portal's own sections; account pages (e-mail, password) and static files are not walked.
WALKED_PREFIXES = ("/provider/", "/company/", "/addons/", "/tickets/")


def demo_logins() -> list[str]:
    return [demo.OPERATOR_EMAIL, *demo.COMPANY_USERS]


@pytest.fixture
def demo_world(demo_loaded):
    """The demo data (its synced resources and tickets), the fake Heroku serving behind it."""
    return Addon.objects.get(slug="acme-search")


def allowed_pages(user: User) -> tuple[set[str], set[str]]:
    """Return the pages USER must reach, and those USER may reach, by view name."""
    if user.is_staff:
        return {"admin:index"}, {"admin:index", "provider-home"}
    held = set()
    for membership in CompanyUser.objects.filter(user=user):
        held |= set(membership.permissions)
    required = {name for name, right in MEMBER_PAGES.items() if right is None or right in held}
    extra = {name for name, right in MEMBER_EXTRA.items() if right is None or right in held}
    return required, required | extra


def view_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def shoot(page: Page, name: str) -> None:
    """Save PAGE at both widths (the viewport, to stay small), then check its accessibility."""
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    for device, viewport in (("desktop", DESKTOP_VIEWPORT), ("mobile", MOBILE_VIEWPORT)):
        page.set_viewport_size(viewport)
        page.screenshot(path=PAGES_DIR / f"{name}-{device}.png")
    page.set_viewport_size(DESKTOP_VIEWPORT)
    assert_accessible(page)


def links_on(page: Page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base:
            continue
        if parts.path.startswith(WALKED_PREFIXES) or parts.path == "/admin/":
            paths.append(parts.path)  # one visit per address: filters and pages are not walked
    return paths


def walk(page: Page, base: str, shot: set[str]) -> tuple[set[str], list[str]]:
    """Follow every link from where PAGE is; return the pages reached and what went wrong."""
    reached, problems = set(), []
    queue, seen = deque([urlsplit(page.url).path]), set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        name = view_name(urlsplit(page.url).path)
        if response.status >= 400:
            problems.append(f"a link leads to {path}, which answers {response.status}")
            continue
        reached.add(name)
        if name not in shot and not name.startswith("admin:") or name == "admin:index":
            if name not in shot:
                shot.add(name)
                shoot(page, name.replace(":", "-"))
        if name.startswith("admin:"):
            continue  # the admin is reached; its own pages are Django's
        queue.extend(links_on(page, base))
    return reached, problems


def test_every_demo_user_reaches_every_page_their_rights_allow_by_links_alone(
    live_server, page, demo_world
):
    shot: set[str] = set()
    failures = []
    for email in demo_logins():
        user = User.objects.get(email__iexact=email)
        page.context.clear_cookies()
        log_in(page, live_server.url, email, demo.DEMO_PASSWORD)  # the login page, then links
        reached, problems = walk(page, live_server.url, shot)
        required, allowed = allowed_pages(user)
        failures += [f"{email}: {problem}" for problem in problems]
        failures += [f"{email}: no link leads to {name}" for name in sorted(required - reached)]
        failures += [
            f"{email}: reached {name}, which the rights do not allow"
            for name in sorted(reached - allowed)
        ]
    assert not failures, "\n".join(failures)


def test_error_pages_are_shot_too(live_server, page, demo_world):
    """The 403 and 404 pages, in the portal's look (typed addresses: errors have no links)."""
    log_in(page, live_server.url, "support@acme.test", demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/addons/acme-search/manifest/")
    assert "You need the" in page.content()
    shoot(page, "error-403")
    page.goto(f"{live_server.url}/no/such/page/")
    shoot(page, "error-404")
