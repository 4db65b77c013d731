"""The accessibility assertions catch what they claim to: each one fails on a broken page."""

import pytest

from tests.e2e.a11y import (
    assert_fields_labelled,
    assert_focus_visible,
    assert_no_axe_violations,
    assert_single_h1,
)

LABELLED_FORM = """
<h1>Form</h1>
<form>
  <label for="a">A</label><input id="a">
  <label>B <input name="b"></label>
  <label for="s"><img alt="Search"></label><input id="s">
  <input aria-label="C">
  <span id="d-label">D</span><select aria-labelledby="d-label"><option>x</option></select>
  <input type="hidden" name="csrf"><input type="submit" value="Send">
  <textarea hidden></textarea>
</form>
"""


def test_labelled_fields_pass(page):
    page.set_content(LABELLED_FORM)

    assert_fields_labelled(page)
    assert_single_h1(page)


@pytest.mark.parametrize(
    "field",
    [
        "<input name='q'>",
        "<textarea></textarea>",
        "<select><option>x</option></select>",
        "<label for='elsewhere'>E</label><input id='e'>",
        "<input aria-labelledby='missing'>",
        "<label for='i'><img alt=''></label><input id='i'>",
    ],
)
def test_unlabelled_field_fails(page, field):
    page.set_content(f"<h1>Form</h1><form>{field}</form>")

    with pytest.raises(AssertionError, match="without a label"):
        assert_fields_labelled(page)


@pytest.mark.parametrize("headings", ["", "<h1>One</h1><h1>Two</h1>"])
def test_h1_count_other_than_one_fails(page, headings):
    page.set_content(f"{headings}<p>text</p>")

    with pytest.raises(AssertionError, match="exactly one h1"):
        assert_single_h1(page)


def document(main: str) -> str:
    """A whole page (language, title, landmark) around MAIN, so axe judges MAIN alone."""
    return f"<html lang='en'><head><title>T</title></head><body><main>{main}</main></body></html>"


def test_axe_passes_a_sound_page(page):
    page.set_content(document(LABELLED_FORM))

    assert_no_axe_violations(page)


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("<img src='x.png'>", "image-alt"),
        ("<p style='color:#bbb;background:#fff'>faint</p>", "color-contrast"),
        ("<p aria-describedby='nowhere'>x</p><input aria-describedby='gone' id='a'>", "label"),
        ("<a href='#'></a>", "link-name"),
    ],
)
def test_axe_names_each_wcag_violation(page, body, rule):
    page.set_content(document(f"<h1>T</h1>{body}"))

    with pytest.raises(AssertionError, match=rule):
        assert_no_axe_violations(page)


def test_focus_outline_is_seen(page):
    page.set_content("<a href='#x'>link</a>")

    assert_focus_visible(page)


def test_focus_outline_removed_fails(page):
    page.set_content("<style>a:focus { outline: none }</style><a href='#x'>link</a>")

    with pytest.raises(AssertionError, match="no visible outline"):
        assert_focus_visible(page)


def test_inline_script_and_style_are_reported_as_csp_violations(browser):
    from tests.e2e.conftest import watch_for_page_problems

    page = browser.new_page()
    problems = watch_for_page_problems(page)
    page.route(
        "http://portal.test/",
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'"},
            body="<h1 style='color: red'>x</h1><script>document.title = 'ran'</script>",
        ),
    )
    page.goto("http://portal.test/")
    title = page.title()
    page.close()

    assert title != "ran"
    assert len(problems) == 2, problems
    assert all("CSP violation" in problem for problem in problems)
