"""Goal persistence on SQLite and PostgreSQL: scoping, uniqueness, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from storage import audit, workspace
from storage import goals as goal_store
from storage.db import Database
from storage.models import Goal
from tests.support.rows import audit_events

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def goal(team: str = "T1", channel: str = "C1", metric: str = "dau", **fields: object) -> Goal:
    values: dict[str, object] = {
        "team_id": team,
        "channel_id": channel,
        "metric_key": metric,
        "target": 150000.0,
        "direction": "higher",
        "unit": "count",
        "created_by": "U1",
        "created_at": NOW,
        "updated_at": NOW,
        **fields,
    }
    return Goal.model_validate(values)


async def test_goals_are_scoped_to_team_and_channel(database: Database) -> None:
    """Listing returns only the asked workspace's channel, in metric order."""
    async with database.transaction() as session:
        for g in (goal(metric="nps"), goal(), goal(team="T2"), goal(channel="C2")):
            await goal_store.save_goal(session=session, goal=g)
    async with database.transaction() as session:
        found = await goal_store.list_goals(session=session, team_id="T1", channel_id="C1")
        other_team = await goal_store.get_goal(
            session=session, team_id="T3", channel_id="C1", metric_key="dau"
        )
    assert [(g.team_id, g.channel_id, g.metric_key) for g in found] == [
        ("T1", "C1", "dau"),
        ("T1", "C1", "nps"),
    ]
    assert other_team is None


async def test_one_goal_per_metric_per_channel_is_enforced_by_the_database(
    database: Database,
) -> None:
    """A second goal on the same metric in the same channel violates the unique key."""
    async with database.transaction() as session:
        await goal_store.save_goal(session=session, goal=goal())
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await goal_store.save_goal(session=session, goal=goal(target=1.0))
    async with database.transaction() as session:
        [kept] = await goal_store.list_goals(session=session, team_id="T1", channel_id="C1")
    assert kept.target == 150000.0


async def test_timestamps_come_back_as_aware_utc(database: Database) -> None:
    """A time stored in any zone reads back as the same instant in UTC."""
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    async with database.transaction() as session:
        await goal_store.save_goal(session=session, goal=goal(created_at=tokyo))
    async with database.transaction() as session:
        stored = await goal_store.get_goal(
            session=session, team_id="T1", channel_id="C1", metric_key="dau"
        )
    assert stored is not None
    assert stored.created_at == NOW
    assert stored.created_at.utcoffset() == timedelta(0)


async def test_naive_timestamps_are_refused(database: Database) -> None:
    """A naive datetime is a bug in the caller; it is never stored as a guess."""
    with pytest.raises(StatementError, match="naive datetimes"):
        async with database.transaction() as session:
            await goal_store.save_goal(
                session=session, goal=goal(created_at=NOW.replace(tzinfo=None))
            )


async def test_settings_rows_are_created_on_first_write(database: Database) -> None:
    """Workspace and channel settings start empty and keep what was written."""
    async with database.transaction() as session:
        assert await workspace.get_workspace_settings(session=session, team_id="T1") is None
        ws = await workspace.workspace_settings_for_update(session=session, team_id="T1", now=NOW)
        ws.ceo_id = "U9"
        ch = await workspace.channel_settings_for_update(
            session=session, team_id="T1", channel_id="C1", now=NOW
        )
        ch.digest_time = "08:00"
    async with database.transaction() as session:
        ws_again = await workspace.get_workspace_settings(session=session, team_id="T1")
        ch_again = await workspace.get_channel_settings(
            session=session, team_id="T1", channel_id="C1"
        )
        other = await workspace.get_channel_settings(session=session, team_id="T2", channel_id="C1")
    assert ws_again is not None
    assert ws_again.ceo_id == "U9"
    assert ch_again is not None
    assert ch_again.digest_time == "08:00"
    assert other is None


async def test_audit_events_are_listed_newest_first_per_workspace(database: Database) -> None:
    """The audit log keeps each workspace's events apart, newest first."""
    async with database.transaction() as session:
        for minute, team in ((1, "T1"), (2, "T2"), (3, "T1")):
            await audit.record_event(
                session=session,
                team_id=team,
                channel_id="C1",
                actor_id="U1",
                action=f"goal.update.{minute}",
                subject="dau",
                details={"changed": {"target": [1, minute]}},
                at=NOW + timedelta(minutes=minute),
            )
    async with database.transaction() as session:
        events = await audit_events(session=session, team_id="T1")
    assert [e.action for e in events] == ["goal.update.3", "goal.update.1"]
    assert events[0].details == {"changed": {"target": [1, 3]}}
