"""Browser tests: Playwright driving Debian's Chromium against pytest-django's `live_server`.

Everything under tests/e2e is marked `e2e` automatically. Run only these with `pytest -m e2e`.

Requirements and skipping
    Playwright cannot download its own browsers here, so the tests launch `/usr/bin/chromium`
    (Debian's `chromium` package). When it is missing the tests are skipped and the terminal
    summary says so in a banner; with `E2E_REQUIRED=1` (set by .ci/run) they fail instead.

Fixtures (besides pytest-playwright's `page`, `context`, `browser` and pytest-django's)
    live_server     pytest-django's server on a free loopback port; build URLs from
                    `live_server.url`. It gives the test transactional-db semantics: rows the test
                    creates are committed, visible to the server thread, and flushed afterwards.
    page            pytest-playwright's page, watched for Content-Security-Policy violations and
                    uncaught JavaScript errors: any of them fails the test at teardown (the CSP
                    forbids inline scripts and styles, so one slipping into a template shows here).
    screenshot      `screenshot(label)` saves full-page PNGs of the page at a desktop width and at a
                    390 px wide mobile viewport, then restores the viewport. Files go to the
                    git-ignored tests/e2e/screenshots/: <test-name>-<label>-desktop.png and
                    <test-name>-<label>-mobile.png.
                    `screenshot(label, page=other_page)` shoots another page.
    operator_page   the browser of `operator` (tests/conftest.py), logged in to the admin.

The fixtures of tests/conftest.py (`manager`, `operator`, `addon`, `resource`, `fake_heroku`, ...)
serve here too.

Accessibility assertions live in tests/e2e/a11y.py: `assert_fields_labelled(page)`,
`assert_single_h1(page)`, `assert_focus_visible(page)` and `assert_accessible(page)` for all three.

A flow test looks like:

    def test_manager_adds_a_company_user(live_server, page, manager, password, screenshot):
        page.goto(f"{live_server.url}/company/")
        ...
        assert_accessible(page)
        screenshot("company-users")

Playwright's sync API runs an event loop in the test's thread, which makes Django refuse ORM
calls from fixtures and tests ("You cannot call this from an async context");
DJANGO_ALLOW_ASYNC_UNSAFE is set below, before any database use, to allow them.
"""

import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the suite runs as root, where Chromium's sandbox cannot start
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
E2E_DIR = Path(__file__).resolve().parent
SCREENSHOT_DIR = E2E_DIR / "screenshots"
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
MOBILE_VIEWPORT = {"width": 390, "height": 844}

_skipped_key = pytest.StashKey[int]()


def _e2e_required() -> bool:
    return os.environ.get("E2E_REQUIRED", "") not in ("", "0", "false")


def _chromium_missing_reason() -> str:
    return (
        f"{CHROMIUM} not found; install Debian's chromium package "
        "(apt-get install chromium) to run the browser tests"
    )


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/e2e `e2e`; skip them when Chromium is missing."""
    e2e_items = [item for item in items if E2E_DIR in item.path.parents]
    chromium_missing = not CHROMIUM.exists()
    for item in e2e_items:
        item.add_marker(pytest.mark.e2e)
        if chromium_missing and not _e2e_required():
            item.add_marker(pytest.mark.skip(reason=_chromium_missing_reason()))
    config.stash[_skipped_key] = len(e2e_items) if chromium_missing and not _e2e_required() else 0


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = config.stash.get(_skipped_key, 0)
    if skipped:
        terminalreporter.write_sep("!", "E2E TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(
            f"E2E TESTS SKIPPED: {_chromium_missing_reason()}. "
            f"{skipped} browser test(s) did not run. Set E2E_REQUIRED=1 to make this an error.",
            red=True,
            bold=True,
        )
        terminalreporter.write_sep("!", red=True, bold=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (Playwright cannot download its own browsers here)."""
    if not CHROMIUM.exists():
        pytest.fail(f"E2E_REQUIRED=1 but {_chromium_missing_reason()}.", pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP_VIEWPORT}


def watch_for_page_problems(page) -> list[str]:
    """Return a list that fills with PAGE's CSP violations and uncaught script errors."""
    problems = []

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(f"CSP violation on {page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
    return problems


@pytest.fixture
def page(page):
    """pytest-playwright's page; a CSP violation or uncaught script error fails the test."""
    problems = watch_for_page_problems(page)
    yield page
    assert not problems, "\n".join(problems)


@pytest.fixture
def operator_page(live_server, page, operator, password):
    """The operator's browser, logged in to the admin."""
    from tests.e2e.steps import log_in_to_admin  # steps imports this module

    log_in_to_admin(page, live_server.url, operator.email, password)
    return page


@pytest.fixture
def screenshot(request, page):
    """Return `screenshot(label, page=page)`, saving desktop and 390 px mobile full-page PNGs."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    SCREENSHOT_DIR.mkdir(exist_ok=True)

    def take(label: str, page=page) -> list[Path]:
        original = page.viewport_size
        paths = []
        for device, viewport in (("desktop", DESKTOP_VIEWPORT), ("mobile", MOBILE_VIEWPORT)):
            page.set_viewport_size(viewport)
            path = SCREENSHOT_DIR / f"{test_name}-{label}-{device}.png"
            page.screenshot(path=path, full_page=True)
            paths.append(path)
        if original:
            page.set_viewport_size(original)
        return paths

    return take
