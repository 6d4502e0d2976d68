"""One open episode and one open remediation per goal, enforced by SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage import escalation
from storage import goals as goal_store
from storage.db import Database
from storage.models import EpisodeRow, Goal, RemediationRow

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


async def test_a_second_open_episode_is_refused_until_the_first_closes(database: Database) -> None:
    """The partial unique index allows one open episode per goal, and a new one after closing."""
    goal_id = await a_goal(database)
    async with database.transaction() as session:
        await escalation.open_episode(session=session, episode=episode(goal_id))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await escalation.open_episode(session=session, episode=episode(goal_id))
    async with database.transaction() as session:
        first = await escalation.open_episode_for(session=session, goal_id=goal_id)
        assert first is not None
        await escalation.close_episode(session=session, episode=first, now=NOW)
    async with database.transaction() as session:
        await escalation.open_episode(session=session, episode=episode(goal_id))
        again = await escalation.open_episode_for(session=session, goal_id=goal_id)
    assert again is not None
    assert again.id != first.id


async def test_a_second_open_remediation_is_refused(database: Database) -> None:
    """Only one remediation per goal may be open; a resolved one does not count."""
    goal_id = await a_goal(database)
    async with database.transaction() as session:
        first = await escalation.open_remediation(session=session, remediation=remediation(goal_id))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await escalation.open_remediation(session=session, remediation=remediation(goal_id))
    async with database.transaction() as session:
        row = await escalation.open_remediation_for(session=session, goal_id=goal_id)
        assert row is not None
        assert row.id == first.id
        row.status = "resolved"
        session.add(row)
    async with database.transaction() as session:
        await escalation.open_remediation(session=session, remediation=remediation(goal_id))
        assert await escalation.open_remediation_for(session=session, goal_id=goal_id) is not None


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
        await escalation.open_episode(session=session, episode=episode(both))
        await escalation.open_remediation(session=session, remediation=remediation(both))
        old = await escalation.open_episode(session=session, episode=episode(closed))
        await escalation.close_episode(session=session, episode=old, now=NOW)
        resolved = remediation(closed)
        resolved.status = "resolved"
        await escalation.open_remediation(session=session, remediation=resolved)
        await escalation.open_remediation(
            session=session, remediation=remediation(only_remediation)
        )
        foreign = episode(elsewhere)
        foreign.team_id = "T2"
        await escalation.open_episode(session=session, episode=foreign)
        foreign_remediation = remediation(elsewhere)
        foreign_remediation.team_id = "T2"
        await escalation.open_remediation(session=session, remediation=foreign_remediation)
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
