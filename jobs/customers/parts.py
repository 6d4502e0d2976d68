"""The parts an aggregate statement returns: each part's rows tagged with its name, `UNION ALL`-ed
into one result (part, day, v0, v1, v2), and split again into one frame per part."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import (
    CompoundSelect,
    Double,
    Integer,
    Select,
    String,
    cast,
    literal_column,
    null,
    select,
    union_all,
)

# Names are ours and are spliced into the SQL text as the tag.
PARTS: dict[str, tuple[str, ...]] = {
    "dau": ("users",),
    "new_users": ("users",),
    "active_30d": ("starts", "stops"),
    "retention": ("returned", "on_day_7"),
    "orders": ("orders", "gmv", "buyers"),
    "buyers_30d": ("starts", "stops"),
    "repeat_30d": ("starts", "stops"),
}
_VALUES = max(len(names) for names in PARTS.values())


def split(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A statement's tagged rows (part, day, v0, v1, v2) as one frame per part, its columns
    named as PARTS says (jobs/customers/aggregates.py describes each)."""
    frames = {}
    for name, values in PARTS.items():
        mine = rows.loc[rows["part"] == name]
        picked = mine[["day", *(f"v{i}" for i in range(len(values)))]]
        frames[name] = picked.set_axis(["day", *values], axis=1).reset_index(drop=True)
    return frames


def _tagged(name: str, statement: Select[tuple[object, ...]]) -> Select[tuple[object, ...]]:
    """The part's rows as (part, day, v0, v1, v2): doubles, NULL where the part has fewer."""
    part = statement.subquery(f"gp_{name}")
    values = [cast(part.c[value], Double) for value in PARTS[name]]
    values += [cast(null(), Double)] * (_VALUES - len(values))
    return select(
        literal_column(f"'{name}'", String).label("part"),
        cast(part.c.day, Integer).label("day"),
        *(value.label(f"v{i}") for i, value in enumerate(values)),
    )


def combined(
    statements: dict[str, Select[tuple[object, ...]]],
) -> CompoundSelect[tuple[object, ...]]:
    """The parts, by name, as one statement of tagged rows."""
    return union_all(*(_tagged(name, statement) for name, statement in statements.items()))
