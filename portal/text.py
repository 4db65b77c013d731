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
character at all). The `*_PATTERN` constants state the rules as JSON Schema patterns for
docs/openapi.yaml (a test checks that it uses them), except for lone surrogates: a range of
surrogates is valid ECMA-262 but no regex engine of a language whose strings cannot hold one
compiles it (Rust's, Go's: jsonschema-rs, which Schemathesis validates with, refuses the whole
pattern). The spec states that rule as I-JSON (RFC 7493), which forbids lone surrogates.
"""

import re
import uuid

from django.core.exceptions import ValidationError

_LONE_SURROGATES = "\ud800-\udfff"
_CONTROLS = "\x00-\x1f\x7f-\x9f"  # Unicode category Cc, exactly
_LINE_SEPARATORS = "\u2028\u2029"
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"


def _expanded(chars: str) -> str:
    """Return CHARS (single characters and "a-b" ranges) with every range written out."""
    ranges = re.findall(r"(.)(?:-(.))?", chars, flags=re.DOTALL)
    return "".join(chr(code) for a, b in ranges for code in range(ord(a), ord(b or a) + 1))


# Every character for which Python's str.isspace() is true (str.strip() removes them).
SPACES = _expanded(
    "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)

_UNSTORABLE = re.compile(f"[\x00{_LONE_SURROGATES}]")
_NOT_ONE_LINE = re.compile(f"[{_CONTROLS}{_LINE_SEPARATORS}{_BIDI_CONTROLS}{_LONE_SURROGATES}]")


def _escaped(chars: str) -> str:
    """Return CHARS (single characters and "a-b" ranges) with every character as \\uXXXX."""
    ranges = re.findall(r"(.)(?:-(.))?", chars, flags=re.DOTALL)
    return "".join(f"\\u{ord(a):04X}" + (f"-\\u{ord(b):04X}" if b else "") for a, b in ranges)


def _pattern(refused: str, *, blank: bool = True) -> str:
    r"""Return a JSON Schema pattern for text that holds none of the REFUSED characters.

    Unless BLANK, the text must also hold a character that is not a space (as str.strip() sees
    it). Written with \uXXXX escapes, which ECMA-262 (with the "u" flag, as JSON Schema asks),
    Rust's fancy-regex and Python's `re` read alike. The end is `$(?!\n)`: Python's `$` also
    matches before a final line break, which the look-ahead refuses; elsewhere it is a no-op.
    Lone surrogates are left out (see the module's docstring).
    """
    refused = refused.replace(_LONE_SURROGATES, "")
    allowed = f"[^{_escaped(refused)}]*"
    if blank:
        return f"^{allowed}$(?!\\n)"
    spaces = "".join(char for char in SPACES if not re.match(f"[{refused}]", char))
    return f"^{allowed}[^{_escaped(refused)}{_escaped(spaces)}]{allowed}$(?!\\n)"


_ONE_LINE_REFUSED = f"{_CONTROLS}{_LINE_SEPARATORS}{_BIDI_CONTROLS}{_LONE_SURROGATES}"
STORABLE_PATTERN = _pattern(f"\x00{_LONE_SURROGATES}")
ONE_LINE_PATTERN = _pattern(_ONE_LINE_REFUSED)
# The same, for a required value: not empty, and not only spaces.
TEXT_PATTERN = _pattern(f"\x00{_LONE_SURROGATES}", blank=False)
ONE_LINE_TEXT_PATTERN = _pattern(_ONE_LINE_REFUSED, blank=False)

# A UUID in the 8-4-4-4-12 form that JSON Schema's `format: uuid` means (either case). Python's
# uuid.UUID also reads 32 bare digits, braces and "urn:uuid:", which a client of the spec may not
# expect to be the same resource.
UUID_PATTERN = (
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$(?!\\n)"
)


# An e-mail address in ASCII that Django's EmailValidator and accounts.addresses both accept: a
# dot-atom or a quoted string of printable characters, "@", and localhost or a domain name whose
# top-level label is letters or punycode. The portal also takes domain names in Unicode; a client
# that keeps to this pattern is never refused for the address's form.
_ATOM = "[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = (
    f'^(?:{_ATOM}(?:\\.{_ATOM})*|"(?:[!#-\\[\\]-~]|\\\\[!-~])*")'
    f"@(?:localhost|{_LABEL}(?:\\.{_LABEL})*\\.(?:[A-Za-z][A-Za-z-]{{0,61}}[A-Za-z]"
    "|[xX][nN]--[A-Za-z0-9]{1,59}))$(?!\\n)"
)


def parse_uuid(value) -> uuid.UUID | None:
    """Return VALUE as a UUID if it is a string in the canonical 8-4-4-4-12 form, else None."""
    if not isinstance(value, str) or not re.search(UUID_PATTERN, value):
        return None
    return uuid.UUID(value)


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
