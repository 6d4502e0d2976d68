"""`goalpulse check`'s table: its rows (Line), their statuses, how it prints, and the words
its details share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

OK, FAIL, SKIP = "OK", "FAIL", "SKIP"


@dataclass(frozen=True)
class Line:
    """One row of the table: what was checked, OK/FAIL/SKIP, and what was found."""

    check: str
    status: str
    detail: str


def format_table(lines: Iterable[Line]) -> str:
    """Aligned columns, then a one-line verdict."""
    rows = list(lines)
    width = max(len(line.check) for line in rows)
    table = [f"{line.check:<{width}}  {line.status:<4}  {line.detail}" for line in rows]
    failed = sum(line.status == FAIL for line in rows)
    skipped = sum(line.status == SKIP for line in rows)
    if failed:
        verdict = f"{plural(failed, 'check')} failed" + (f", {skipped} skipped" if skipped else "")
    else:
        verdict = f"all {plural(len(rows), 'check')} passed"
    return "\n".join([*table, "", verdict])


def how_old(today: date, latest: date) -> str:
    """`today`, `1 day old`, `2 days ahead`."""
    age = (today - latest).days
    return "today" if age == 0 else f"{plural(abs(age), 'day')} {'old' if age > 0 else 'ahead'}"


def plural(n: int, noun: str) -> str:
    """`1 check`, `2 checks`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
