"""Text the database can store: PostgreSQL refuses NUL in text and jsonb, and no database driver
can encode a lone surrogate (which JSON can carry as a "\\ud800" escape) as UTF-8.

Forms already refuse NUL (Django's ProhibitNullCharactersValidator); JSON bodies do not go through
forms, so the JSON APIs check their values here before anything is written or queried.
"""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(value: str) -> bool:
    """Return True when VALUE holds no NUL and no lone surrogate."""
    return _UNSTORABLE.search(value) is None


def is_storable_json(value) -> bool:
    """Return True when every string in the JSON value VALUE, keys included, is storable."""
    if isinstance(value, str):
        return is_storable(value)
    if isinstance(value, dict):
        return all(is_storable(k) and is_storable_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_storable_json(item) for item in value)
    return True


def storable(value: str) -> str:
    """Return VALUE with every NUL and lone surrogate replaced by U+FFFD (for logs and records)."""
    return _UNSTORABLE.sub("\ufffd", value)
