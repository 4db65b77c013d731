"""Accessibility assertions for Playwright pages: axe-core's WCAG 2.1 A and AA rules, and three
of the portal's own (labelled fields, one h1, a visible focus ring).

axe-core comes with axe-playwright-python (its axe.min.js, injected through Playwright, which the
pages' Content-Security-Policy does not govern); no network is needed.
"""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# WCAG 2.0 and 2.1, levels A and AA: the standard the issue holds the portal to.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()

_UNLABELLED_FIELDS_JS = """
() => {
  const selector = 'input:not([type=hidden]):not([type=submit]):not([type=button])'
    + ':not([type=reset]):not([type=image]), select, textarea';
  const isVisible = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden';
  // A label's name is its text plus the alt text of its images (the admin's search label is
  // an <img alt="Search">).
  const text = (el) => el ? [el.textContent, ...[...el.querySelectorAll('img[alt]')]
    .map((img) => img.alt)].join(' ').trim() : '';
  const isLabelled = (el) =>
    [...(el.labels || [])].some((label) => text(label))
    || (el.getAttribute('aria-label') || '').trim() !== ''
    || (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
         .some((id) => id && text(document.getElementById(id)));
  return [...document.querySelectorAll(selector)]
    .filter(isVisible)
    .filter((el) => !isLabelled(el))
    .map((el) => el.outerHTML.slice(0, 200));
}
"""

_FOCUSED_OUTLINE_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    type: (el.getAttribute('type') || '').toLowerCase(),
    html: el.outerHTML.slice(0, 200),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
  };
}
"""


def assert_fields_labelled(page: Page) -> None:
    """Assert every visible form field has a label: label[for], a wrapping label or aria-*."""
    unlabelled = page.evaluate(_UNLABELLED_FIELDS_JS)
    assert not unlabelled, "form fields without a label:\n" + "\n".join(unlabelled)


def assert_single_h1(page: Page) -> None:
    """Assert the page has exactly one h1."""
    headings = page.locator("h1").all_text_contents()
    assert len(headings) == 1, f"expected exactly one h1, found {len(headings)}: {headings}"


def assert_focus_visible(page: Page, *, max_tabs: int = 30) -> None:
    """Tab to the first link or button and assert it shows a focus outline."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED_OUTLINE_JS)
        if focused and (focused["tag"] in ("a", "button") or focused["type"] == "submit"):
            break
    else:
        raise AssertionError(f"no link or button took focus within {max_tabs} presses of Tab")
    assert focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0, (
        f"focused element has no visible outline ({focused['outlineStyle']}, "
        f"{focused['outlineWidth']}px): {focused['html']}"
    )


def assert_no_axe_violations(page: Page) -> None:
    """Assert axe-core finds no WCAG 2.1 A or AA violation on PAGE (each named, with its nodes)."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    assert not violations, f"axe-core on {page.url}:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    "
        + "\n    ".join(node["html"][:200] for node in v["nodes"][:5])
        for v in violations
    )


def assert_accessible(page: Page) -> None:
    """Assert all of the above on PAGE."""
    assert_no_axe_violations(page)
    assert_fields_labelled(page)
    assert_single_h1(page)
    assert_focus_visible(page)
