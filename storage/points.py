"""Daily metric points: upserted by pulls and check-ins, read back for evaluation and charts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Row, func, literal, or_, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.goals import active_filter
from storage.models import Evaluation, Goal, MetricPoint

# Keep each statement's bound parameters under SQLite's and asyncpg's limits.
BATCH = 2000
PARTITION = 20_000  # rows per partition of a bulk read


# Up to this many changed series are named in a query; beyond, every goal on their metrics is
# taken (a superset: re-evaluating a goal whose series did not change gives the same result).
MAX_NAMED_SERIES = 1000


@dataclass(frozen=True)
class Changed:
    """Narrows an evaluation to the goals a pull may have changed: those on one of `series`
    ((workspace, metric) pairs whose points changed), and those not yet evaluated on `day`."""

    day: date
    series: tuple[tuple[str, str], ...]

    def conditions(self, dialect: str) -> list[ColumnElement[bool]]:
        """The condition on goals (none when there are too many series to name), as each
        database looks it up fastest."""
        if len(self.series) > MAX_NAMED_SERIES:
            return []
        evaluated_today = (
            sa_select(col(Evaluation.id))
            .where(col(Evaluation.goal_id) == col(Goal.id), col(Evaluation.day) == self.day)
            .exists()
        )
        if not self.series:
            return [~evaluated_today]
        if dialect == "postgresql":
            # One key per series: PostgreSQL hashes a list of single values (not of pairs),
            # one lookup per goal; neither a Slack team id nor a metric key holds a "/".
            key = col(Goal.team_id) + literal("/") + col(Goal.metric_key)
            on_series = key.in_([f"{team}/{metric}" for team, metric in self.series])
        else:  # SQLite looks pairs up in an index it builds for the list
            pairs = tuple_(col(Goal.team_id), col(Goal.metric_key))
            on_series = pairs.in_(list(self.series))
        return [or_(on_series, ~evaluated_today)]


def narrowed(
    *,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: Sequence[str] | None = None,
    changed: Changed | None = None,
    dialect: str = "sqlite",
) -> list[ColumnElement[bool]]:
    """`active_filter`, further narrowed to what `changed` names (for `dialect`'s database)."""
    conditions = active_filter(team_id=team_id, channel_id=channel_id, metric_keys=metric_keys)
    return conditions + (changed.conditions(dialect) if changed is not None else [])


@dataclass(frozen=True)
class DailyValue:
    """A value for one day."""

    day: date
    value: float


async def upsert_points(
    *,
    session: AsyncSession,
    team_id: str,
    metric_key: str,
    values: Iterable[DailyValue],
    origin: str,
    now: datetime,
    note: str | None = None,
    recorded_by: str | None = None,
) -> int:
    """Insert or overwrite the metric's value per day; returns how many days were written."""
    rows = [
        {
            "team_id": team_id,
            "metric_key": metric_key,
            "day": point.day,
            "value": point.value,
            "origin": origin,
            "note": note,
            "recorded_by": recorded_by,
            "recorded_at": now,
        }
        for point in values
    ]
    for start in range(0, len(rows), BATCH):
        statement = insert_for(session, MetricPoint).values(rows[start : start + BATCH])
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "metric_key", "day"],
            set_={
                "value": excluded.value,
                "origin": excluded.origin,
                "note": excluded.note,
                "recorded_by": excluded.recorded_by,
                "recorded_at": excluded.recorded_at,
            },
        )
        await session.exec(statement)
    return len(rows)


async def upsert_series(
    *,
    session: AsyncSession,
    team_id: str,
    metric_key: str,
    values: Sequence[DailyValue],
    origin: str,
    now: datetime,
) -> bool:
    """`upsert_points` for one pull of a series; True when any day is new or its value
    changed (then the goals on it need evaluating again)."""
    if not values:
        return False
    statement = select(col(MetricPoint.day), col(MetricPoint.value)).where(
        MetricPoint.team_id == team_id,
        MetricPoint.metric_key == metric_key,
        col(MetricPoint.day) >= min(point.day for point in values),
        col(MetricPoint.day) <= max(point.day for point in values),
    )
    stored = dict((await session.exec(statement)).all())
    changed = any(stored.get(point.day) != point.value for point in values)
    await upsert_points(
        session=session,
        team_id=team_id,
        metric_key=metric_key,
        values=values,
        origin=origin,
        now=now,
    )
    return changed


async def points_since(
    *, session: AsyncSession, team_id: str, metric_keys: Sequence[str], since: date
) -> list[MetricPoint]:
    """The workspace's points for these metrics from `since` on, oldest first."""
    if not metric_keys:
        return []
    statement = (
        select(MetricPoint)
        .where(
            MetricPoint.team_id == team_id,
            col(MetricPoint.metric_key).in_(metric_keys),
            MetricPoint.day >= since,
        )
        .order_by(col(MetricPoint.metric_key), col(MetricPoint.day))
    )
    return list((await session.exec(statement)).all())


async def point_rows(
    *,
    session: AsyncSession,
    team_ids: Sequence[str],
    metric_keys: Sequence[str],
    since: date,
    until: date,
) -> list[tuple[str, str, date, float]]:
    """(team, metric, day, value) tuples for bulk work; no ORM objects, for speed."""
    if not team_ids or not metric_keys:
        return []
    statement = select(
        col(MetricPoint.team_id),
        col(MetricPoint.metric_key),
        col(MetricPoint.day),
        col(MetricPoint.value),
    ).where(
        col(MetricPoint.team_id).in_(team_ids),
        col(MetricPoint.metric_key).in_(metric_keys),
        MetricPoint.day >= since,
        MetricPoint.day <= until,
    )
    return [
        (team, key, day, value) for team, key, day, value in (await session.exec(statement)).all()
    ]


async def goal_points(
    *,
    session: AsyncSession,
    since: date,
    until: date,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: Sequence[str] | None = None,
    changed: Changed | None = None,
    partition: int = PARTITION,
) -> AsyncIterator[Sequence[Row[int | None, date, float]]]:
    """(goal id, day, value) of the active goals' points in [since, until], by goal then day.

    Each goal reads its own workspace's series (goals on one metric share it). Rows come in
    partitions of `partition` as the database sends them, so the caller never holds them all.
    """
    statement = (
        sa_select(col(Goal.id), col(MetricPoint.day), col(MetricPoint.value))
        .join(
            MetricPoint,
            (col(MetricPoint.team_id) == col(Goal.team_id))
            & (col(MetricPoint.metric_key) == col(Goal.metric_key)),
        )
        .where(
            *narrowed(
                team_id=team_id,
                channel_id=channel_id,
                metric_keys=metric_keys,
                changed=changed,
                dialect=session.get_bind().dialect.name,
            ),
            col(MetricPoint.day) >= since,
            col(MetricPoint.day) <= until,
        )
        .order_by(col(Goal.id), col(MetricPoint.day))
    )
    connection = await session.connection()  # Core rows: no ORM loading for plain columns
    result = await connection.stream(statement)
    async for rows in result.partitions(partition):
        yield rows


async def latest_day(*, session: AsyncSession, team_id: str, metric_key: str) -> date | None:
    """The newest day the workspace has a value for on this metric, or None."""
    statement = select(func.max(MetricPoint.day)).where(
        MetricPoint.team_id == team_id, MetricPoint.metric_key == metric_key
    )
    return (await session.exec(statement)).one()


async def latest_days(
    *, session: AsyncSession, team_ids: Sequence[str], metric_keys: Sequence[str]
) -> dict[tuple[str, str], date]:
    """The newest stored day of each (workspace, metric) among these, in one grouped query;
    a pair with no value is left out."""
    if not team_ids or not metric_keys:
        return {}
    statement = (
        select(col(MetricPoint.team_id), col(MetricPoint.metric_key), func.max(MetricPoint.day))
        .where(
            col(MetricPoint.team_id).in_(team_ids),
            col(MetricPoint.metric_key).in_(metric_keys),
        )
        .group_by(col(MetricPoint.team_id), col(MetricPoint.metric_key))
    )
    return {
        (team, key): day
        for team, key, day in (await session.exec(statement)).all()
        if day is not None
    }
