"""Hypothesis strategies for hostile input: odd unicode, huge strings, wrong types, any JSON.

Shared by the hostile-input tests of the Partner API, the ticket intake, the SSO form and the
Company tab forms (docs/reliability.md, "Hostile input").
"""

import hypothesis
from hypothesis import strategies as st

# Bounded, so that the hostile tests together stay well under a minute and a half.
HOSTILE_SETTINGS = hypothesis.settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.data_too_large,
    ],
)

# Characters that have broken real systems: NUL (PostgreSQL refuses it in text and jsonb), other
# controls, right-to-left overrides, zero-width joiners, a BOM, astral emoji, combining marks.
NASTY_CHARACTERS = [
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    "\u0085",
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2066",
    "\u05d0",
    "\u0627",
    "\ufeff",
    "\ufffd",
    "\U0001f600",
    "\U0001f1fa\U0001f1f8",
    "e\u0301",
    "'",
    '"',
    "\\",
    "<",
    "%",
    "\n",
    "\r",
]
# Lone surrogates cannot be encoded as UTF-8, but JSON can carry them as "\ud800" escapes.
SURROGATES = ["\ud800", "\udfff", "\udbff"]

nasty_text = st.lists(
    st.sampled_from(NASTY_CHARACTERS) | st.text(max_size=4), min_size=0, max_size=12
).map("".join)

# A huge string: built by repetition, so that Hypothesis does not have to draw every character.
huge_text = st.builds(
    lambda chunk, times: (chunk or "x") * times,
    st.sampled_from(["x", "\x00", "\U0001f600", "a\u202eb", "é"]),
    st.sampled_from([300, 5_000, 70_000]),
)

hostile_text = nasty_text | huge_text | st.text()

# Text that JSON can carry but UTF-8 cannot: lone surrogates among ordinary characters.
json_only_text = st.lists(
    st.sampled_from(SURROGATES + NASTY_CHARACTERS), min_size=1, max_size=6
).map("".join)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text
    | json_only_text
)
any_json = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(nasty_text | json_only_text, children, max_size=4)
    ),
    max_leaves=10,
)


def field_changes(fields: list[str]) -> st.SearchStrategy[dict]:
    """Return a strategy of {field: hostile value} changes to a valid body (any JSON per field)."""
    return st.dictionaries(st.sampled_from(fields), any_json, max_size=len(fields))


def field_removals(fields: list[str]) -> st.SearchStrategy[set]:
    """Return a strategy of sets of fields to delete from a valid body."""
    return st.sets(st.sampled_from(fields), max_size=3)


# Forms --------------------------------------------------------------------------------------------
# A form field's value as a browser or a script might send it: text, several values, empty.
form_values = hostile_text | st.lists(nasty_text, max_size=3) | st.sampled_from(["", " ", "0"])

FORM_SETTINGS = hypothesis.settings(HOSTILE_SETTINGS, max_examples=50)


def form_body(data: dict) -> bytes:
    """Return DATA url-encoded as a broken client may send it: lone surrogates as raw bytes."""
    from urllib.parse import urlencode

    return urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass").encode("ascii")


def post_form(client, url: str, data: dict):
    """POST DATA to URL as application/x-www-form-urlencoded, whatever it holds."""
    return client.generic(
        "POST", url, data=form_body(data), content_type="application/x-www-form-urlencoded"
    )


def form_changes(fields: list[str]) -> st.SearchStrategy[dict]:
    """Return a strategy of {field: hostile value} changes to a valid form, unknown fields too."""
    return st.dictionaries(st.sampled_from([*fields, "x", "csrfmiddlewaretoken"]), form_values)


def rows(*models) -> dict:
    """Return every row of MODELS as stored, to compare before and after a refused request."""
    return {model.__name__: list(model.objects.order_by("pk").values_list()) for model in models}


def assert_text_rules(values: dict, *, one_line: tuple[str, ...] = ()) -> None:
    """Assert that every text in VALUES is storable, and the ONE_LINE ones one line."""
    from portal.text import text_problem

    for name, value in values.items():
        if isinstance(value, str):
            assert text_problem(value, one_line=name in one_line) is None, (name, value)


# Nesting ------------------------------------------------------------------------------------------
# Depths around the limit of portal.json_input, and far past what Python's parser can read.
nesting_depths = st.integers(min_value=0, max_value=12) | st.sampled_from([1_000, 9_000, 30_000])


def nested_json_text(depth: int, kind: str) -> str:
    """Return JSON text of a value nested DEPTH levels: lists ("["), objects ("{") or both."""
    if kind == "[":
        return "[" * depth + "1" + "]" * depth
    if kind == "{":
        return '{"k":' * depth + "1" + "}" * depth
    half = depth // 2
    return '[{"k":' * half + ("[1]" if depth % 2 else "1") + "}]" * half
