"""The result of a conformance run: one row per check, and the table printed at the end."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "FAIL"
    SKIP = "skip"  # not applicable to this portal, e.g. an async check after a 200
    NOT_RUN = "not run"  # an earlier check that it needs failed


@dataclass
class Row:
    """One check: what Heroku did, how the portal answered, and why it passed or failed."""

    check: str
    outcome: Outcome
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome in (Outcome.FAIL, Outcome.NOT_RUN)


def render_table(rows: list[Row]) -> str:
    """Return ROWS as a plain-text table: check, outcome, detail."""
    width = max([len("check"), *(len(row.check) for row in rows)])
    lines = [f"{'check':<{width}}  {'result':<7}  detail", f"{'-' * width}  {'-' * 7}  ------"]
    for row in rows:
        lines.append(f"{row.check:<{width}}  {row.outcome.value:<7}  {row.detail}".rstrip())
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    """Return one line: how many checks passed, failed, were skipped or not run."""
    counts = {outcome: sum(row.outcome == outcome for row in rows) for outcome in Outcome}
    parts = [f"{counts[Outcome.PASS]} passed", f"{counts[Outcome.FAIL]} failed"]
    if counts[Outcome.NOT_RUN]:
        parts.append(f"{counts[Outcome.NOT_RUN]} not run")
    if counts[Outcome.SKIP]:
        parts.append(f"{counts[Outcome.SKIP]} skipped")
    return ", ".join(parts) + "."
