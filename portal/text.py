"""The portal's character rules: what text the database can store, and what a one-line field holds.

Two rules, written once here and applied by every surface that takes text from outside (the forms,
the ticket intake API, the Partner API, the SSO form, the manifest import and the admin):

- *Storable* (every text value): no NUL and no lone surrogate. PostgreSQL refuses NUL in text and
  jsonb, and no database driver can encode a lone surrogate (which JSON can carry as a "\\ud800"
  escape) as UTF-8. Django's form fields already refuse NUL and decode undecodable bytes as U+FFFD;
  JSON bodies do not go through forms, so the JSON APIs check here before anything is written.
- *One line* (subjects, names, slugs, plan names, regions, URLs, ids): storable, and no control
  character (Unicode category Cc: C0 and C1 controls and DEL, tab, CR, LF and U+0085 included), no
  line or paragraph separator (U+2028, U+2029) and no bidirectional embedding, override or isolate
  (U+202A to U+202E, U+2066 to U+2069). A one-line value is shown in lists, page titles, e-mail
  subjects and headers: a line break splits it, a control character (an ESC sequence, a bell) is
  meant for a terminal, and a bidirectional override makes it read differently from what is
  stored ("Trojan Source", CVE-2021-42574). None of them belongs in a name or a subject. Other
  format characters (zero-width joiners, which emoji sequences and Persian and Indic scripts need)
  are allowed. Multi-line text (ticket bodies, messages, descriptions) follows the storable rule
  only: it may hold tabs, line breaks and pasted terminal output.

E-mail addresses follow the stricter rule of `accounts.addresses` (no invisible or format
character at all). `ONE_LINE_PATTERN` and `STORABLE_PATTERN` state the rules as JSON Schema
patterns; docs/openapi.yaml uses them, and a test checks that it does.
"""

import re

from django.core.exceptions import ValidationError

_LONE_SURROGATES = "\ud800-\udfff"
_CONTROLS = "\x00-\x1f\x7f-\x9f"  # Unicode category Cc, exactly
_LINE_SEPARATORS = "\u2028\u2029"
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"

_UNSTORABLE = re.compile(f"[\x00{_LONE_SURROGATES}]")
_NOT_ONE_LINE = re.compile(f"[{_CONTROLS}{_LINE_SEPARATORS}{_BIDI_CONTROLS}{_LONE_SURROGATES}]")


def _pattern(refused: str) -> str:
    r"""Return a JSON Schema pattern for text that holds none of the REFUSED characters.

    Written with \uXXXX escapes, which ECMA-262 (with the "u" flag, as JSON Schema asks) and
    Python's `re` read alike. The end is `$(?!\n)`: Python's `$` also matches before a final line
    break, which the look-ahead refuses; in ECMA-262 it is a no-op.
    """

    def escape(char: str) -> str:
        return f"\\u{ord(char):04X}"

    ranges = re.findall(r"(.)(?:-(.))?", refused, flags=re.DOTALL)
    body = "".join(escape(a) + (f"-{escape(b)}" if b else "") for a, b in ranges)
    return f"^[^{body}]*$(?!\\n)"


STORABLE_PATTERN = _pattern(f"\x00{_LONE_SURROGATES}")
ONE_LINE_PATTERN = _pattern(f"{_CONTROLS}{_LINE_SEPARATORS}{_BIDI_CONTROLS}{_LONE_SURROGATES}")

UNSTORABLE = "contains a NUL character or a lone surrogate, which cannot be stored"
NOT_ONE_LINE = (
    "contains control, line-break or text-direction characters ({chars}), "
    "which a single line of text cannot hold"
)


def is_storable(value: str) -> bool:
    """Return True when VALUE holds no NUL and no lone surrogate."""
    return _UNSTORABLE.search(value) is None


def is_storable_json(value) -> bool:
    """Return True when every string in the JSON value VALUE, keys included, is storable."""
    pending = [value]
    while pending:  # iterative: a deeply nested value must not exhaust the stack
        item = pending.pop()
        if isinstance(item, str):
            if not is_storable(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def storable(value: str) -> str:
    """Return VALUE with every NUL and lone surrogate replaced by U+FFFD (for logs and records)."""
    return _UNSTORABLE.sub("\ufffd", value)


def characters_named(chars) -> str:
    """Return CHARS as distinct U+XXXX names in order of appearance, e.g. "U+0009, U+202E"."""
    return ", ".join(dict.fromkeys(f"U+{ord(char):04X}" for char in chars))


def text_problem(value: str, *, one_line: bool) -> str | None:
    """Return what is wrong with VALUE under the storable (or the one-line) rule, or None.

    The answer follows a field's name ("subject contains …") and never quotes VALUE itself.
    """
    if not is_storable(value):
        return UNSTORABLE
    if one_line:
        refused = _NOT_ONE_LINE.findall(value)
        if refused:
            return NOT_ONE_LINE.format(chars=characters_named(refused))
    return None


def validate_storable(value: str) -> None:
    """Raise ValidationError when VALUE holds a NUL or a lone surrogate."""
    problem = text_problem(value, one_line=False)
    if problem:
        raise ValidationError(f"This text {problem}.", code="unstorable")


def validate_one_line(value: str) -> None:
    """Raise ValidationError when VALUE is not one line of storable text (see the module)."""
    problem = text_problem(value, one_line=True)
    if problem:
        raise ValidationError(f"This text {problem}.", code="not_one_line")
