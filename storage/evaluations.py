"""Stored evaluations: one row per goal and day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import ScalarSelect, func, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.driver_sql import fetch_rows, raw_connection, sqlite_value
from storage.models import RESULT_FIELDS, Checkin, CheckinState, Evaluation, Goal
from storage.points import Changed, narrowed

BATCH = 5000  # rows per executemany
# From this many rows on, results go through the driver alone (a COPY on PostgreSQL).
BULK = 2000
# Every stored column, in the order of the records `store_evaluations` takes.
STORED_COLUMNS = ("goal_id", "team_id", "day", *RESULT_FIELDS, "evaluated_at")
_TIMES = [STORED_COLUMNS.index(name) for name in ("day", "value_day", "evaluated_at")]


async def upsert_evaluations(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store results keyed by (goal, day); re-storing the same results leaves rows unchanged
    (`evaluated_at` included: it is when the row's results were last computed different).

    The rows (all with the same keys) go to one statement, compiled once and executed for
    many rows by the driver, not a multi-row VALUES statement compiled per batch.
    """
    if not rows:
        return
    statement = insert_for(session, Evaluation)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["goal_id", "day"],
        set_={field: getattr(excluded, field) for field in (*RESULT_FIELDS, "evaluated_at")},
        where=tuple_(*(getattr(Evaluation, field) for field in RESULT_FIELDS)).is_distinct_from(
            tuple_(*(getattr(excluded, field) for field in RESULT_FIELDS))
        ),
    )
    connection = await session.connection()
    for start in range(0, len(rows), BATCH):
        await connection.execute(statement, list(rows[start : start + BATCH]))


async def store_evaluations(*, session: AsyncSession, records: Sequence[tuple[Any, ...]]) -> None:
    """Store results (tuples of STORED_COLUMNS) keyed by (goal, day), as `upsert_evaluations`
    does; many rows go through the driver in one statement (PostgreSQL: a binary COPY into a
    temporary table, then one INSERT … ON CONFLICT from it)."""
    if len(records) < BULK:
        await upsert_evaluations(
            session=session, rows=[dict(zip(STORED_COLUMNS, row, strict=True)) for row in records]
        )
        return
    connection = await session.connection()
    driver = await raw_connection(connection)
    columns = ", ".join(STORED_COLUMNS)
    update = ", ".join(f"{field} = excluded.{field}" for field in (*RESULT_FIELDS, "evaluated_at"))
    stored = ", ".join(f"evaluation.{field}" for field in RESULT_FIELDS)
    fresh = ", ".join(f"excluded.{field}" for field in RESULT_FIELDS)
    changed = (
        f"({stored}) IS NOT ({fresh})"
        if connection.dialect.name == "sqlite"
        else f"({stored}) IS DISTINCT FROM ({fresh})"
    )
    # A result stored again unchanged is not written again (no new row version, no index work).
    conflict = f"ON CONFLICT (goal_id, day) DO UPDATE SET {update} WHERE {changed}"
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" * len(STORED_COLUMNS))
        fields = list(zip(*records, strict=True))
        for position in _TIMES:  # dates and times as SQLAlchemy stores them on SQLite
            fields[position] = tuple(sqlite_value(value) for value in fields[position])
        await driver.executemany(
            f"INSERT INTO evaluation ({columns}) VALUES ({marks}) {conflict}",  # noqa: S608 - our column names
            list(zip(*fields, strict=True)),
        )
        return
    create = "CREATE TEMPORARY TABLE evaluation_incoming ON COMMIT DROP AS SELECT {} FROM {}"
    await driver.execute(create.format(columns, "evaluation WITH NO DATA"))
    await driver.copy_records_to_table(
        "evaluation_incoming", records=records, columns=list(STORED_COLUMNS)
    )
    await driver.execute(
        f"INSERT INTO evaluation ({columns}) SELECT {columns} FROM evaluation_incoming "  # noqa: S608
        f"{conflict}"
    )
    await driver.execute("DROP TABLE evaluation_incoming")


async def teams_with_confidences(*, session: AsyncSession, since: date) -> set[str]:
    """The workspaces with any answered check-in giving a confidence on or after `since`."""
    statement = (
        sa_select(col(Checkin.team_id))
        .where(
            col(Checkin.day) >= since,
            col(Checkin.state) == CheckinState.ANSWERED.value,
            col(Checkin.confidence).is_not(None),
        )
        .distinct()
    )
    connection = await session.connection()
    return {team for (team,) in await fetch_rows(connection, statement)}


def band_before(before: date) -> ScalarSelect[str]:
    """The band of the enclosing goal's latest evaluation before `before` (one index seek)."""
    return (
        select(col(Evaluation.band))
        .where(col(Evaluation.goal_id) == col(Goal.id), col(Evaluation.day) < before)
        .order_by(col(Evaluation.day).desc())
        .limit(1)
        .scalar_subquery()
    )


# id, workspace, metric, target, direction, yellow, orange, red, band before the day (or None)
GoalToEvaluate = tuple[int, str, str, float, str, float, float, float, str | None]


async def goals_to_evaluate(
    *,
    session: AsyncSession,
    before: date,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: Sequence[str] | None = None,
    changed: Changed | None = None,
) -> list[GoalToEvaluate]:
    """The active goals (all, or a workspace's, channel's or metrics'), in id order, with what
    evaluating them needs and the band of each one's latest evaluation before `before`.

    One query returning tuples: no ORM objects, and no list of ids sent back as parameters.
    """
    statement = (
        sa_select(
            col(Goal.id),
            col(Goal.team_id),
            col(Goal.metric_key),
            col(Goal.target),
            col(Goal.direction),
            col(Goal.yellow),
            col(Goal.orange),
            col(Goal.red),
            band_before(before),
        )
        .where(
            *narrowed(
                team_id=team_id,
                channel_id=channel_id,
                metric_keys=metric_keys,
                changed=changed,
                dialect=session.get_bind().dialect.name,
            )
        )
        .order_by(col(Goal.id))
    )
    connection = await session.connection()  # the driver's rows: no result objects
    return [
        (cast(int, goal_id), team, key, target, direction, yellow, orange, red, band)
        for goal_id, team, key, target, direction, yellow, orange, red, band in await fetch_rows(
            connection, statement
        )
    ]


async def evaluations_on(
    *, session: AsyncSession, goal_ids: Sequence[int], day: date
) -> dict[int, Evaluation]:
    """The evaluations of these goals on one day, by goal id."""
    if not goal_ids:
        return {}
    statement = select(Evaluation).where(
        col(Evaluation.goal_id).in_(goal_ids), Evaluation.day == day
    )
    return {row.goal_id: row for row in (await session.exec(statement)).all()}


async def latest_evaluations(
    *, session: AsyncSession, goal_ids: Sequence[int]
) -> dict[int, Evaluation]:
    """Each goal's most recent evaluation, by goal id."""
    if not goal_ids:
        return {}
    latest = (
        select(Evaluation.goal_id, func.max(Evaluation.day).label("day"))
        .where(col(Evaluation.goal_id).in_(goal_ids))
        .group_by(col(Evaluation.goal_id))
        .subquery()
    )
    statement = select(Evaluation).join(
        latest,
        (col(Evaluation.goal_id) == latest.c.goal_id) & (col(Evaluation.day) == latest.c.day),
    )
    return {row.goal_id: row for row in (await session.exec(statement)).all()}


async def recent_evaluations(
    *, session: AsyncSession, goal_id: int, limit: int = 14
) -> list[Evaluation]:
    """A goal's last `limit` evaluations, oldest first."""
    statement = (
        select(Evaluation)
        .where(Evaluation.goal_id == goal_id)
        .order_by(col(Evaluation.day).desc())
        .limit(limit)
    )
    return list(reversed((await session.exec(statement)).all()))


async def latest_bands(
    *,
    session: AsyncSession,
    through: date,
    team_id: str | None = None,
    channel_id: str | None = None,
    metric_keys: Sequence[str] | None = None,
    changed: Changed | None = None,
) -> dict[int, str | None]:
    """Each active goal's (narrowed as `active_filter` narrows) band as last stored on or
    before `through`, None if never evaluated; by goal id. One query of tuples."""
    statement = sa_select(col(Goal.id), band_before(through + timedelta(days=1))).where(
        *narrowed(
            team_id=team_id,
            channel_id=channel_id,
            metric_keys=metric_keys,
            changed=changed,
            dialect=session.get_bind().dialect.name,
        )
    )
    connection = await session.connection()
    return {cast(int, goal_id): band for goal_id, band in (await connection.execute(statement))}
