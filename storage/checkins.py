"""Persistence for check-ins, which several processes may race on. Scoped to one workspace.

A scheduled check-in is unique per (goal, person, slot): asking is `INSERT … ON CONFLICT DO
NOTHING`, so of two processes asking for the same slot exactly one gets a row back (and queues
the prompt). Updates carry the version read: an update lands only if nobody changed the row in
between, and bumps the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import Checkin, CheckinState

CHUNK = 1000  # ids per IN (…) list
_OPEN = (CheckinState.ASKED.value, CheckinState.REMINDED.value)
_ENDED = (CheckinState.ANSWERED.value, CheckinState.MISSED.value)


async def insert_asked(*, session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Store an asked check-in; its id, or None when that (goal, person, slot) is already asked."""
    statement = (
        insert_for(session, Checkin)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["goal_id", "user_id", "slot_at"])
        .returning(col(Checkin.id))
    )
    return (await session.exec(statement)).scalar_one_or_none()  # type: ignore[no-any-return]


async def add_unasked(*, session: AsyncSession, values: dict[str, Any]) -> int:
    """Store a check-in nobody was asked for (no slot); returns its id."""
    row = Checkin(**values)
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


async def get_checkin(*, session: AsyncSession, team_id: str, checkin_id: int) -> Checkin | None:
    """One check-in, only if it belongs to the workspace, as stored now (a row this session
    read before is refreshed: versioned updates leave it as it was read)."""
    statement = (
        select(Checkin)
        .where(Checkin.id == checkin_id, Checkin.team_id == team_id)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(statement)).first()


async def update_checkin(
    *, session: AsyncSession, checkin_id: int, version: int, values: dict[str, Any]
) -> bool:
    """Apply `values` if the row is still at `version`; bumps the version."""
    statement = (
        update(Checkin)
        .where(col(Checkin.id) == checkin_id, col(Checkin.version) == version)
        .values(**values, version=version + 1)
        # The caller's row keeps what it read: no in-session sync.
        .execution_options(synchronize_session=False)
    )
    return bool((await session.exec(statement)).rowcount == 1)


async def set_prompt_dm(
    *, session: AsyncSession, team_id: str, checkin_id: int, channel: str, ts: str
) -> None:
    """Record where the prompt DM went, so it can be redrawn once answered.

    Not versioned: only the prompt's delivery writes these two fields, and an answer racing it
    must still land."""
    await session.exec(
        update(Checkin)
        .where(col(Checkin.id) == checkin_id, col(Checkin.team_id) == team_id)
        .values(dm_channel=channel, dm_ts=ts)
        .execution_options(synchronize_session=False)
    )


async def last_slot(
    *, session: AsyncSession, team_id: str, goal_id: int, user_id: str
) -> datetime | None:
    """The newest slot this person was asked about for the goal; None if never."""
    statement = select(func.max(Checkin.slot_at)).where(
        Checkin.team_id == team_id, Checkin.goal_id == goal_id, Checkin.user_id == user_id
    )
    found = (await session.exec(statement)).one_or_none()
    return _utc(found)


async def last_slots(
    *, session: AsyncSession, team_id: str, goal_ids: Sequence[int]
) -> dict[tuple[int, str], datetime]:
    """The newest slot asked per (goal, person), for many goals in one query per chunk."""
    found: dict[tuple[int, str], datetime] = {}
    for start in range(0, len(goal_ids), CHUNK):
        statement = (
            select(Checkin.goal_id, Checkin.user_id, func.max(Checkin.slot_at))
            .where(
                Checkin.team_id == team_id,
                col(Checkin.goal_id).in_(goal_ids[start : start + CHUNK]),
                col(Checkin.slot_at).is_not(None),
            )
            .group_by(col(Checkin.goal_id), col(Checkin.user_id))
        )
        for goal_id, user_id, slot in (await session.exec(statement)).all():
            if (moment := _utc(slot)) is not None:
                found[goal_id, user_id] = moment
    return found


async def recent_checkins(
    *, session: AsyncSession, team_id: str, goal_id: int, limit: int = 5
) -> list[Checkin]:
    """The goal's latest answered or missed check-ins, newest day first."""
    statement = (
        select(Checkin)
        .where(
            Checkin.team_id == team_id,
            Checkin.goal_id == goal_id,
            col(Checkin.state).in_(_ENDED),
        )
        .order_by(col(Checkin.day).desc(), col(Checkin.id).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def latest_confidences(
    *, session: AsyncSession, team_id: str, goal_ids: Sequence[int], since: date
) -> dict[int, str]:
    """Each goal's confidence from its newest answered check-in that gave one, day >= since."""
    rows = await _newest_first(
        session,
        team_id,
        goal_ids,
        since,
        col(Checkin.state) == CheckinState.ANSWERED.value,
        col(Checkin.confidence).is_not(None),
    )
    return {goal_id: row.confidence for goal_id, row in rows.items() if row.confidence}


async def latest_checkins(
    *, session: AsyncSession, team_id: str, goal_ids: Sequence[int], since: date
) -> dict[int, Checkin]:
    """Each goal's newest answered or missed check-in, day >= since."""
    return await _newest_first(session, team_id, goal_ids, since, col(Checkin.state).in_(_ENDED))


async def checkins_between(
    *, session: AsyncSession, team_id: str, channel_id: str, first: date, last: date
) -> list[Checkin]:
    """Every check-in of the channel's goals with first <= day <= last, in any state, by day."""
    statement = (
        select(Checkin)
        .where(
            Checkin.team_id == team_id,
            Checkin.channel_id == channel_id,
            col(Checkin.day) >= first,
            col(Checkin.day) <= last,
        )
        .order_by(col(Checkin.day), col(Checkin.id))
    )
    return list((await session.exec(statement)).all())


async def open_checkins(*, session: AsyncSession, team_id: str, goal_id: int) -> list[Checkin]:
    """The goal's check-ins still waiting for an answer (asked or reminded), oldest first."""
    statement = (
        select(Checkin)
        .where(
            Checkin.team_id == team_id,
            Checkin.goal_id == goal_id,
            col(Checkin.state).in_(_OPEN),
        )
        .order_by(col(Checkin.id))
    )
    return list((await session.exec(statement)).all())


async def _newest_first(
    session: AsyncSession,
    team_id: str,
    goal_ids: Sequence[int],
    since: date,
    *conditions: Any,
) -> dict[int, Checkin]:
    """Per goal, the newest check-in (by day, then id) matching `conditions`, day >= since."""
    found: dict[int, Checkin] = {}
    wanted = sorted(set(goal_ids))
    for start in range(0, len(wanted), CHUNK):
        statement = (
            select(Checkin)
            .where(
                Checkin.team_id == team_id,
                col(Checkin.goal_id).in_(wanted[start : start + CHUNK]),
                col(Checkin.day) >= since,
                *conditions,
            )
            .order_by(col(Checkin.goal_id), col(Checkin.day).desc(), col(Checkin.id).desc())
        )
        for row in (await session.exec(statement)).all():
            found.setdefault(row.goal_id, row)
    return found


def _utc(value: Any) -> datetime | None:
    """An aggregate's timestamp (max() keeps the column's type, so it is aware UTC already)."""
    return value if isinstance(value, datetime) else None
