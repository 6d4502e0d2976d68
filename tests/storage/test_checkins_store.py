"""Check-ins on SQLite and PostgreSQL: one row per (goal, person, slot), the newest answers per
goal, and nothing read across workspaces."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from storage import checkins as store
from storage.db import Database
from storage.models import Goal
from tests.support.rows import stored

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 25)


async def a_goal(database: Database, team: str = "T1", metric: str = "gmv") -> int:
    async with database.transaction() as session:
        goal = await stored(
            session,
            Goal(
                team_id=team,
                channel_id="C1",
                metric_key=metric,
                target=100.0,
                direction="higher",
                unit="count",
                owner_id="U0ANA",
                created_by="U0ANA",
                created_at=NOW,
                updated_at=NOW,
            ),
        )
    assert goal.id is not None
    return goal.id


def asked(goal_id: int, days_ago: int, *, team: str = "T1", user: str = "U0ANA") -> dict[str, Any]:
    slot = NOW - timedelta(days=days_ago)
    return {
        "goal_id": goal_id,
        "team_id": team,
        "channel_id": "C1",
        "user_id": user,
        "day": DAY - timedelta(days=days_ago),
        "slot_at": slot,
        "asked_at": slot,
        "state": "asked",
    }


async def add(database: Database, values: dict[str, Any], **changes: Any) -> int:
    """An asked check-in, then (if `changes`) moved on as the service would."""
    async with database.transaction() as session:
        checkin_id = await store.insert_asked(session=session, values=values)
        assert checkin_id is not None
        if changes:
            assert await store.update_checkin(
                session=session, checkin_id=checkin_id, version=1, values=changes
            )
    return checkin_id


async def test_asking_for_the_same_slot_twice_stores_one_row(database: Database) -> None:
    """The second insert of a (goal, person, slot) returns None and adds nothing, even when two
    run at once."""
    goal_id = await a_goal(database)

    async def ask() -> int | None:
        async with database.transaction() as session:
            return await store.insert_asked(session=session, values=asked(goal_id, 0))

    results = await asyncio.gather(ask(), ask())
    [won] = [r for r in results if r is not None]
    assert None in results
    async with database.transaction() as session:
        row = await store.get_checkin(session=session, team_id="T1", checkin_id=won)
        assert (
            await store.last_slot(session=session, team_id="T1", goal_id=goal_id, user_id="U0ANA")
            == NOW
        )
    assert row is not None
    assert (row.state, row.slot_at, row.version) == ("asked", NOW, 1)


async def test_an_update_lands_only_at_the_version_read(database: Database) -> None:
    """A second update from the same read is refused; the row says what the first wrote."""
    goal_id = await a_goal(database)
    checkin_id = await add(database, asked(goal_id, 0))
    async with database.transaction() as session:
        assert await store.update_checkin(
            session=session, checkin_id=checkin_id, version=1, values={"state": "answered"}
        )
        assert not await store.update_checkin(
            session=session, checkin_id=checkin_id, version=1, values={"state": "missed"}
        )
        row = await store.get_checkin(session=session, team_id="T1", checkin_id=checkin_id)
    assert row is not None
    assert (row.state, row.version) == ("answered", 2)


async def test_latest_confidence_is_the_newest_answer_that_gave_one(database: Database) -> None:
    """Missed check-ins, answers without a confidence and days before `since` do not count."""
    gmv, dau = await a_goal(database), await a_goal(database, metric="dau")
    quiet = await a_goal(database, metric="nps")
    await add(database, asked(gmv, 9), state="answered", confidence="off_track")
    await add(database, asked(gmv, 6), state="answered", confidence="at_risk")
    await add(database, asked(gmv, 3), state="missed")
    await add(database, asked(gmv, 1), state="answered", confidence=None)
    await add(database, asked(dau, 2), state="answered", confidence="on_track")
    await add(database, asked(quiet, 10), state="answered", confidence="off_track")
    async with database.transaction() as session:
        found = await store.latest_confidences(
            session=session, team_id="T1", goal_ids=[gmv, dau, quiet], since=DAY - timedelta(7)
        )
        latest = await store.latest_checkins(
            session=session, team_id="T1", goal_ids=[gmv, dau, quiet], since=DAY - timedelta(7)
        )
    assert found == {gmv: "at_risk", dau: "on_track"}
    assert {goal: (row.day, row.state) for goal, row in latest.items()} == {
        gmv: (DAY - timedelta(1), "answered"),
        dau: (DAY - timedelta(2), "answered"),
    }


async def test_recent_check_ins_are_answered_or_missed_newest_first(database: Database) -> None:
    """Open and cancelled check-ins are left out; at most `limit` come back."""
    goal_id = await a_goal(database)
    await add(database, asked(goal_id, 4), state="answered", confidence="on_track")
    await add(database, asked(goal_id, 3), state="missed")
    await add(database, asked(goal_id, 2), state="cancelled")
    await add(database, asked(goal_id, 1), state="answered", confidence="at_risk", late=True)
    await add(database, asked(goal_id, 0))
    async with database.transaction() as session:
        recent = await store.recent_checkins(session=session, team_id="T1", goal_id=goal_id)
        two = await store.recent_checkins(session=session, team_id="T1", goal_id=goal_id, limit=2)
        still_open = await store.open_checkins(session=session, team_id="T1", goal_id=goal_id)
    assert [(row.day, row.state) for row in recent] == [
        (DAY - timedelta(1), "answered"),
        (DAY - timedelta(3), "missed"),
        (DAY - timedelta(4), "answered"),
    ]
    assert [row.day for row in two] == [DAY - timedelta(1), DAY - timedelta(3)]
    assert [row.day for row in still_open] == [DAY]


async def test_nothing_is_read_across_workspaces(database: Database) -> None:
    """Another workspace's id, slot or goal reads as nothing."""
    mine, theirs = await a_goal(database), await a_goal(database, team="T2")
    their_checkin = await add(
        database, asked(theirs, 1, team="T2"), state="answered", confidence="off_track"
    )
    async with database.transaction() as session:
        assert (
            await store.get_checkin(session=session, team_id="T1", checkin_id=their_checkin) is None
        )
        assert (
            await store.last_slot(session=session, team_id="T1", goal_id=theirs, user_id="U0ANA")
            is None
        )
        assert await store.last_slots(session=session, team_id="T1", goal_ids=[mine, theirs]) == {}
        assert (
            await store.latest_confidences(
                session=session, team_id="T1", goal_ids=[mine, theirs], since=DAY - timedelta(7)
            )
            == {}
        )
        assert await store.recent_checkins(session=session, team_id="T1", goal_id=theirs) == []
        assert (
            await store.checkins_between(
                session=session, team_id="T1", channel_id="C1", first=DAY - timedelta(7), last=DAY
            )
            == []
        )


async def test_a_week_of_a_channel_and_check_ins_nobody_asked_for(database: Database) -> None:
    """checkins_between holds the channel's days in range in any state, by day; an unasked
    check-in (no slot) never clashes with another."""
    goal_id = await a_goal(database)
    await add(database, asked(goal_id, 8), state="missed")
    await add(database, asked(goal_id, 3), state="answered", confidence="on_track")
    unasked = {
        "goal_id": goal_id,
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U0ANA",
        "day": DAY,
        "state": "answered",
        "confidence": "at_risk",
        "answered_at": NOW,
    }
    async with database.transaction() as session:
        first = await store.add_unasked(session=session, values=unasked)
        second = await store.add_unasked(session=session, values=unasked)
        week = await store.checkins_between(
            session=session, team_id="T1", channel_id="C1", first=DAY - timedelta(6), last=DAY
        )
    assert first != second
    assert [(row.day, row.state, row.slot_at) for row in week] == [
        (DAY - timedelta(3), "answered", NOW - timedelta(3)),
        (DAY, "answered", None),
        (DAY, "answered", None),
    ]


@pytest.mark.parametrize(
    ("users", "expected"),
    [
        pytest.param(["U0ANA"], {"U0ANA": 0}, id="one-person"),
        pytest.param(["U0ANA", "U0LI"], {"U0ANA": 0, "U0LI": 2}, id="per-person"),
    ],
)
async def test_last_slots_are_per_goal_and_person(
    database: Database, users: list[str], expected: dict[str, int]
) -> None:
    """The newest slot each person was asked about, as an aware UTC instant."""
    goal_id = await a_goal(database)
    await add(database, asked(goal_id, 5))
    await add(database, asked(goal_id, 0))
    if "U0LI" in users:
        await add(database, asked(goal_id, 2, user="U0LI"))
    async with database.transaction() as session:
        found = await store.last_slots(session=session, team_id="T1", goal_ids=[goal_id])
    assert found == {(goal_id, user): NOW - timedelta(days=ago) for user, ago in expected.items()}
    assert all(moment.tzinfo is not None for moment in found.values())
