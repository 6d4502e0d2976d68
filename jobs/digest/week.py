"""A week of a metric's daily values, oldest first: what every sparkline draws (the digest's
lines and health index, the escalation messages, the `show` command)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import points as point_store

SPARKLINE_DAYS = 7

# One value a day, oldest first, ending on the day asked for; None where a day has no point.
Week = tuple[float | None, ...]


def week_ending(history: Mapping[date, float], day: date) -> Week:
    """The SPARKLINE_DAYS days of `history` (values by day) that end on `day`."""
    return tuple(history.get(day - timedelta(days=n)) for n in range(SPARKLINE_DAYS - 1, -1, -1))


async def week_of_points(
    *, session: AsyncSession, team_id: str, metric_keys: Sequence[str], day: date
) -> dict[str, Week]:
    """Each metric's week ending on `day`, from a workspace's stored points, by metric key."""
    rows = await point_store.point_rows(
        session=session,
        team_ids=[team_id],
        metric_keys=metric_keys,
        since=day - timedelta(days=SPARKLINE_DAYS - 1),
        until=day,
    )
    history: dict[str, dict[date, float]] = {key: {} for key in metric_keys}
    for _, key, point_day, value in rows:
        history[key][point_day] = value
    return {key: week_ending(values, day) for key, values in history.items()}
