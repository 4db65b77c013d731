"""JSON from outside the portal, bounded in depth before Python's parser sees it.

Python's `json` module recurses once per level of nesting: about 10,000 "[" (20 KB, well within
the 64 KiB bodies the APIs take) raise RecursionError, and a value a few thousand levels deep that
it does parse still has to be walked, encoded and stored (PostgreSQL's jsonb has a stack limit of
its own). No field of the portal's inputs needs more than a few levels, so every JSON document from
outside (the Partner API, the ticket intake, the manifest import) is scanned first, without
recursion, and refused when a value nests deeper than `MAX_NESTING`, naming the field.

Python also reads numbers that JSON cannot store: 1e999 becomes inf, and NaN and Infinity are
accepted although no JSON standard has them. Written back, they are Infinity and NaN, which
neither SQLite's nor PostgreSQL's JSON takes. `loads` refuses them, naming the field, and with
them integers beyond the range of a double, which I-JSON (RFC 7493) rules out and most JSON
readers (JavaScript's among them) cannot hold exactly.
"""

import json
import math
import re
import sys

from portal.text import storable

# Levels of arrays and objects a field's value may hold: {"options": {"a": [1]}} nests 2 deep
# in "options". The top-level object, which holds the fields, is not counted.
MAX_NESTING = 5

# A string token (escapes included) or one structural character; everything else is skipped.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]', re.DOTALL)


class NestingTooDeep(ValueError):
    """A JSON document nests deeper than allowed; PATH names the object keys down to the place."""

    def __init__(self, *, path: list[str], limit: int):
        self.path = path
        self.limit = limit
        where = f"“{self.field}”" if self.field is not None else "The document"
        super().__init__(f"{where} nests arrays and objects more than {limit} levels deep.")

    @property
    def field(self) -> str | None:
        """Return the top-level field where the limit was passed (None outside an object)."""
        return self.path[0] if self.path else None

    @property
    def dotted_path(self) -> str:
        return ".".join(self.path)


class NumberOutOfRange(ValueError):
    """A JSON document holds NaN, Infinity or a number beyond the range of a double."""

    def __init__(self, *, field: str | None):
        self.field = field
        where = f"“{field}”" if field is not None else "The document"
        super().__init__(
            f"{where} holds a number JSON cannot store (NaN, Infinity, or beyond ±1.8e308)."
        )


def decode(body: bytes) -> str:
    """Return BODY as text, in the UTF-8, -16 or -32 that `json.loads` would detect."""
    return body.decode(json.detect_encoding(body), "surrogatepass")


def _key(token: str) -> str:
    try:
        key = json.loads(token)
    except ValueError:
        key = token[1:-1]
    return storable(key)[:100]


def check_nesting(text: str, *, limit: int = MAX_NESTING) -> None:
    """Raise NestingTooDeep when a value in the JSON document TEXT nests deeper than LIMIT.

    The document's own top-level array or object is level 0, so LIMIT applies to each field's
    value. Linear in the length of TEXT, and it needs no valid JSON: the parser judges that after.
    """
    if text.count("[") + text.count("{") <= limit + 1:
        return  # too few brackets to nest that deep: the common case, at no cost
    # One frame per open array or object: [is_object, current key, expecting a key].
    frames: list[list] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            if len(frames) > limit:
                raise NestingTooDeep(path=_path(frames), limit=limit)
            frames.append([token == "{", None, token == "{"])
        elif token in "]}":
            if frames:
                frames.pop()
        elif frames:
            _follow(frames[-1], token)


def _follow(frame: list, token: str) -> None:
    """Update FRAME, the innermost open array or object, for TOKEN (a string, "," or ":")."""
    is_object, _key_so_far, expecting_key = frame
    if token == ",":
        frame[2] = is_object
    elif token == ":":
        frame[2] = False
    elif expecting_key:
        frame[1], frame[2] = _key(token), False


def _path(frames: list[list]) -> list[str]:
    """Return the object keys down to the innermost frame (none if the document is no object)."""
    if not frames or not frames[0][0]:
        return []
    return [key for is_object, key, _ in frames if is_object and key is not None]


def loads(text: str, *, limit: int = MAX_NESTING):
    """Return the JSON value in TEXT, or raise NestingTooDeep, NumberOutOfRange or ValueError."""
    check_nesting(text, limit=limit)
    try:
        value = json.loads(text)
    except RecursionError:  # cannot happen within the limit; never a 500 if it does
        raise ValueError("The JSON document nests too deeply to be read.") from None
    fields = value.items() if isinstance(value, dict) else [(None, value)]
    for field, item in fields:
        if not _finite(item):
            raise NumberOutOfRange(field=storable(field)[:100] if field is not None else None)
    return value


def _finite(value) -> bool:
    """Return False when VALUE holds inf, nan or an integer beyond a double's range."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, int) and abs(item) > sys.float_info.max:
            return False
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True
