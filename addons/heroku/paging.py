"""Check that the pages of one Platform API list add up to the whole list.

Heroku pages a list by one field of its items (`id` for collaborators, `email` for team members):
a truncated page answers 206 with `Next-Range: <field> ]<last>..; max=N`, meaning "the items after
<last>", and every page carries `Content-Range: <field> <first>..<last>; max=N` (API-NOTES.md).
A sequence of pages adds up when:

- no page holds more items than the `max` asked for;
- a 206 holds at least one item and names the next range, which starts just after the page's last
  item (`]<last>`), on the same field, and was not asked for before;
- no item's range value appears twice in the sequence (pages that overlap);
- a page's Content-Range, when Heroku sent one, names the same field and the range values of the
  page's first and last items.

Whatever else, the order of the values is not checked: Heroku sorts them in its database's
collation, which need not be Python's. A page answered 304 comes from the cache without its
Content-Range, which was checked when it was stored.
"""

from __future__ import annotations

import re

from addons.heroku.errors import PagesDoNotAddUp

# `<field> <first>..<last>; max=N`, and `<field> ]<start>..; max=N` (the `]` excludes <start>).
CONTENT_RANGE = re.compile(r"\s*(\w+)\s+(.*?)\.\.(.*?)\s*(?:;.*)?")
NEXT_RANGE = re.compile(r"\s*(\w+)\s+(\]?)(.*?)\.\.\s*(?:;.*)?")


class PageSequence:
    """The pages of one list read so far; `add` raises PagesDoNotAddUp when one does not fit."""

    def __init__(self, path: str, *, field: str, max_size: int):
        self.path = path
        self.field = field
        self.max_size = max_size
        self.pages = 0
        self.values: set[str] = set()
        self.ranges_asked: set[str] = set()

    def add(self, items: list, *, status: int, next_range: str, content_range: str | None) -> None:
        """Check one page of ITEMS (its STATUS, NEXT_RANGE and, unless cached, CONTENT_RANGE)."""
        self.pages += 1
        if len(items) > self.max_size:
            self._refuse(f"holds {len(items)} items, more than the max={self.max_size} asked")
        if status == 206:
            self._check_next_range_named(next_range)
        multipage = status == 206 or self.pages > 1
        values = self._values(items) if (multipage or content_range) and items else []
        if content_range and values:
            self._check_content_range(content_range, values)
        if multipage:
            repeated = sorted(self.values.intersection(values))
            if repeated or len(set(values)) < len(values):
                self._refuse(f"overlaps the pages before it ({self.field} {repeated[:1]})")
            self.values.update(values)
        if status == 206:
            self._check_next_range(next_range, values)

    def _values(self, items: list) -> list[str]:
        values = []
        for item in items:
            value = item.get(self.field) if isinstance(item, dict) else None
            if not isinstance(value, str) or not value:
                self._refuse(f"has an item without {self.field}, the field it is paged by")
            values.append(value)
        return values

    def _check_content_range(self, header: str, values: list[str]) -> None:
        match = CONTENT_RANGE.fullmatch(header)
        if match is None or match[1] != self.field:
            self._refuse(f"has Content-Range {header!r}, not a range of {self.field}")
        if (match[2], match[3]) != (values[0], values[-1]):
            self._refuse(
                f"has Content-Range {header!r}, but its items run from {values[0]!r} "
                f"to {values[-1]!r}"
            )

    def _check_next_range_named(self, next_range: str) -> None:
        if not next_range:
            self._refuse("is 206 Partial Content without Next-Range")
        if next_range in self.ranges_asked:
            self._refuse(f"names a Next-Range asked for before: Next-Range repeats {next_range!r}")
        self.ranges_asked.add(next_range)

    def _check_next_range(self, next_range: str, values: list[str]) -> None:
        if not values:
            self._refuse("is 206 Partial Content with no items")
        match = NEXT_RANGE.fullmatch(next_range)
        if match is None or match[1] != self.field or match[2] != "]" or match[3] != values[-1]:
            self._refuse(
                f"ends at {values[-1]!r} but names Next-Range {next_range!r}: the next page "
                "would not start where this one ends"
            )

    def _refuse(self, what: str):
        raise PagesDoNotAddUp(f"GET {self.path}: page {self.pages} {what}")
