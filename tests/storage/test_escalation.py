"""One open episode and one open remediation per goal, enforced by SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import escalation
from storage import goals as goal_store
from storage.db import Database
from storage.models import EpisodeRow, Goal, RemediationRow
from tests.support.rows import stored

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def a_goal(database: Database) -> int:
    async with database.transaction() as session:
        goal = await goal_store.save_goal(
            session=session,
            goal=Goal(
                team_id="T1",
                channel_id="C1",
                metric_key="dau",
                target=150000.0,
                direction="higher",
                unit="count",
                created_by="U1",
                created_at=NOW,
                updated_at=NOW,
            ),
        )
    assert goal.id is not None
    return goal.id


def episode(goal_id: int) -> EpisodeRow:
    return EpisodeRow(
        goal_id=goal_id, team_id="T1", opened_at=NOW, current_band="orange", peak_band="orange"
    )


def remediation(goal_id: int) -> RemediationRow:
    return RemediationRow(
        goal_id=goal_id,
        team_id="T1",
        channel_id="C1",
        trigger="orange",
        opened_at=NOW,
        due_at=NOW + timedelta(hours=72),
    )


async def open_episode_for(session: AsyncSession, goal_id: int) -> EpisodeRow | None:
    return (await escalation.open_episodes(session=session, goal_ids=[goal_id])).get(goal_id)


async def close(session: AsyncSession, row: EpisodeRow, now: datetime) -> None:
    assert row.id is not None
    assert await escalation.update_episode(
        session=session, episode_id=row.id, version=row.version, values={"closed_at": now}
    )


async def open_remediation_for(session: AsyncSession, goal_id: int) -> RemediationRow | None:
    found = await escalation.open_escalations(session=session, team_id="T1", goal_ids=[goal_id])
    return found[goal_id][1] if goal_id in found else None


async def test_a_second_open_episode_is_refused_until_the_first_closes(database: Database) -> None:
    """The partial unique index allows one open episode per goal, and a new one after closing."""
    goal_id = await a_goal(database)
    async with database.transaction() as session:
        await stored(session, episode(goal_id))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await stored(session, episode(goal_id))
    async with database.transaction() as session:
        first = await open_episode_for(session, goal_id)
        assert first is not None
        await close(session, first, NOW)
    async with database.transaction() as session:
        await stored(session, episode(goal_id))
        again = await open_episode_for(session, goal_id)
    assert again is not None
    assert again.id != first.id


async def test_a_second_open_remediation_is_refused(database: Database) -> None:
    """Only one remediation per goal may be open; a resolved one does not count."""
    goal_id = await a_goal(database)
    async with database.transaction() as session:
        first = await stored(session, remediation(goal_id))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await stored(session, remediation(goal_id))
    async with database.transaction() as session:
        row = await open_remediation_for(session, goal_id)
        assert row is not None
        assert row.id == first.id
        row.status = "resolved"
        session.add(row)
    async with database.transaction() as session:
        await stored(session, remediation(goal_id))
        assert await open_remediation_for(session, goal_id) is not None


async def another_goal(database: Database, *, team_id: str, metric_key: str) -> int:
    async with database.transaction() as session:
        goal = await goal_store.save_goal(
            session=session,
            goal=Goal(
                team_id=team_id,
                channel_id="C1",
                metric_key=metric_key,
                target=1.0,
                direction="higher",
                unit="count",
                created_by="U1",
                created_at=NOW,
                updated_at=NOW,
            ),
        )
    assert goal.id is not None
    return goal.id


async def test_open_escalations_returns_only_open_rows_of_this_workspace(
    database: Database,
) -> None:
    """Open episodes and open remediations come back by goal; closed ones and other teams' don't."""
    both = await a_goal(database)
    closed = await another_goal(database, team_id="T1", metric_key="aov")
    only_remediation = await another_goal(database, team_id="T1", metric_key="nps")
    quiet = await another_goal(database, team_id="T1", metric_key="gmv")
    elsewhere = await another_goal(database, team_id="T2", metric_key="dau")
    async with database.transaction() as session:
        await stored(session, episode(both))
        await stored(session, remediation(both))
        old = await stored(session, episode(closed))
        await close(session, old, NOW)
        resolved = remediation(closed)
        resolved.status = "resolved"
        await stored(session, resolved)
        await stored(session, remediation(only_remediation))
        foreign = episode(elsewhere)
        foreign.team_id = "T2"
        await stored(session, foreign)
        foreign_remediation = remediation(elsewhere)
        foreign_remediation.team_id = "T2"
        await stored(session, foreign_remediation)
    async with database.transaction() as session:
        found = await escalation.open_escalations(
            session=session,
            team_id="T1",
            goal_ids=[both, closed, only_remediation, quiet, elsewhere],
        )
        none = await escalation.open_escalations(session=session, team_id="T1", goal_ids=[])
    assert set(found) == {both, only_remediation}
    episode_row, remediation_row = found[both]
    assert episode_row is not None
    assert (episode_row.goal_id, episode_row.closed_at) == (both, None)
    assert remediation_row is not None
    assert (remediation_row.goal_id, remediation_row.status) == (both, "open")
    lone_episode, lone_remediation = found[only_remediation]
    assert lone_episode is None
    assert lone_remediation is not None
    assert none == {}
