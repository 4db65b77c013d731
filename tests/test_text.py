"""The portal's character rules (portal/text.py) and JSON depth limit (portal/json_input.py)."""

import json
import re

import hypothesis
import jsonschema_rs
import pytest
from django.core.exceptions import ValidationError
from hypothesis import strategies as st

from portal import json_input
from portal.text import (
    ONE_LINE_PATTERN,
    ONE_LINE_TEXT_PATTERN,
    SPACES,
    STORABLE_PATTERN,
    TEXT_PATTERN,
    UUID_PATTERN,
    is_storable_json,
    parse_uuid,
    text_problem,
    validate_one_line,
    validate_storable,
)
from tests.hostile import NASTY_CHARACTERS, SURROGATES

any_characters = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
texts = any_characters | st.lists(st.sampled_from(NASTY_CHARACTERS + SURROGATES)).map("".join)


@pytest.mark.parametrize(
    "value",
    [
        "Backups failing",
        "caf\u00e9",
        "\u05e9\u05dc\u05d5\u05dd",
        "\U0001f468\u200d\U0001f469",
        "a\u200cb",
    ],
)
def test_ordinary_text_is_one_line(value):
    validate_one_line(value)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("a\nb", "U+000A"),
        ("a\tb\tc", "U+0009"),
        ("a\x7f", "U+007F"),
        ("a\x85", "U+0085"),
        ("a\u2029", "U+2029"),
        ("a\u202eb\u2066", "U+202E, U+2066"),
    ],
)
def test_controls_separators_and_bidi_overrides_are_not_one_line(value, named):
    with pytest.raises(ValidationError) as refusal:
        validate_one_line(value)

    assert refusal.value.code == "not_one_line"
    assert f"({named})" in refusal.value.messages[0]


@pytest.mark.parametrize("value", ["a\x00", "\ud800", "x\udfffy"])
def test_nul_and_lone_surrogates_are_not_storable(value):
    with pytest.raises(ValidationError):
        validate_storable(value)
    with pytest.raises(ValidationError):
        validate_one_line(value)


def test_multi_line_text_may_hold_controls():
    validate_storable("line 1\r\n\tline 2 \x1b[31mred\x1b[0m")


def without_lone_surrogates(value: str) -> str:
    # The patterns leave lone surrogates to I-JSON (portal/text.py says why).
    return re.sub("[\ud800-\udfff]", "", value)


@hypothesis.given(value=texts.map(without_lone_surrogates))
def test_the_patterns_state_the_same_rules(value):
    """docs/openapi.yaml states the rules as these patterns; Python's `re` reads them alike."""
    assert bool(re.search(ONE_LINE_PATTERN, value)) == (text_problem(value, one_line=True) is None)
    assert bool(re.search(STORABLE_PATTERN, value)) == (text_problem(value, one_line=False) is None)


@pytest.mark.parametrize(
    "pattern", [ONE_LINE_PATTERN, STORABLE_PATTERN, TEXT_PATTERN, ONE_LINE_TEXT_PATTERN]
)
def test_the_patterns_compile_in_the_validator_schemathesis_uses(pattern):
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    assert validator.is_valid("Backups failing") and not validator.is_valid("a\x00b")


def test_a_deep_json_value_is_checked_without_recursion():
    value = []
    for _ in range(100_000):
        value = [value, "\x00"]
    assert not is_storable_json(value)


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}",:\\ab'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}",:\\ab'), children, max_size=3)
    ),
    max_leaves=30,
)


@hypothesis.given(fields=st.dictionaries(st.text(max_size=5), json_values, max_size=4))
def test_the_scan_measures_what_the_parser_reads(fields):
    text = json.dumps(fields, ensure_ascii=False)
    too_deep = {name for name, value in fields.items() if depth(value) > json_input.MAX_NESTING}

    if too_deep:
        with pytest.raises(json_input.NestingTooDeep) as refusal:
            json_input.loads(text)
        assert refusal.value.field in too_deep
    else:
        assert json_input.loads(text) == fields


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000, "[" * 30_000 + "]" * 30_000, '{"a": ' + "{" * 50_000, '{"a": "' + "[" * 9],
)
def test_nothing_python_cannot_parse_gets_to_the_parser(text):
    with pytest.raises(ValueError):  # NestingTooDeep is a ValueError
        json_input.loads(text)


def test_the_refusal_names_the_path_of_keys():
    text = json.dumps({"api": {"production": {"base_url": [[[[["x"]]]]]}}})

    with pytest.raises(json_input.NestingTooDeep) as refusal:
        json_input.loads(text)

    assert refusal.value.field == "api"
    assert refusal.value.dotted_path == "api.production.base_url"


@pytest.mark.parametrize("number", ["1e999", "-1e400", "NaN", "Infinity", "-Infinity", "9" * 309])
def test_a_number_json_cannot_store_is_refused_naming_the_field(number):
    with pytest.raises(json_input.NumberOutOfRange) as refusal:
        json_input.loads('{"ok": 1.5, "options": {"a": [NUMBER]}}'.replace("NUMBER", number))

    assert refusal.value.field == "options"


def test_big_integers_and_ordinary_floats_are_read():
    assert json_input.loads('{"a": [123456789012345678901234567890, 1e308, -0.5]}') == {
        "a": [123456789012345678901234567890, 1e308, -0.5]
    }


def test_the_spaces_are_pythons():
    assert set(SPACES) == {c for c in map(chr, range(0x110000)) if c.isspace()}


@hypothesis.given(
    value=(texts | st.sampled_from([" ", "\u3000 ", "\t", "a\n", " \ufeff "])).map(
        without_lone_surrogates
    )
)
def test_the_non_blank_patterns_state_the_same_rules(value):
    blank = not value.strip()
    one_line = text_problem(value, one_line=True) is None
    storable = text_problem(value, one_line=False) is None
    assert bool(re.search(ONE_LINE_TEXT_PATTERN, value)) == (one_line and not blank)
    assert bool(re.search(TEXT_PATTERN, value)) == (storable and not blank)


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", True),
        ("2A5E5A7A-4B1C-4E59-9A4C-7F5B8F7D9C01", True),
        ("2a5e5a7a4b1c4e599a4c7f5b8f7d9c01", False),
        ("{2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01}", False),
        ("urn:uuid:2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01", False),
        ("2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c01\n", False),
        ("2a5e5a7a-4b1c-4e59-9a4c-7f5b8f7d9c0\u0661", False),  # an Arabic-Indic digit
    ],
)
def test_a_uuid_is_read_in_its_canonical_form_only(value, canonical):
    assert (parse_uuid(value) is not None) == canonical
    assert bool(re.search(UUID_PATTERN, value)) == canonical
