"""What a person's Home tab reads, on SQLite and PostgreSQL: the goals they own or lead, each
goal's latest band, the open remediations and the goal picked for the chart, never across
workspaces."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from storage import escalation
from storage import evaluations as evaluation_store
from storage import goals as goal_store
from storage import home as home_store
from storage.db import Database
from storage.models import Evaluation, Goal, GoalStatus, RemediationRow
from tests.support.rows import stored

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 30)


def goal(
    metric: str,
    *,
    team: str = "T1",
    owner: str | None = None,
    lead: str | None = None,
    status: str = GoalStatus.ACTIVE.value,
) -> Goal:
    return Goal(
        team_id=team,
        channel_id="C1",
        metric_key=metric,
        target=100.0,
        direction="higher",
        unit="count",
        owner_id=owner,
        lead_id=lead,
        status=status,
        created_by="U0ANA",
        created_at=NOW,
        updated_at=NOW,
    )


def evaluation(goal_id: int, day: date, band: str) -> Evaluation:
    return Evaluation(
        goal_id=goal_id, team_id="T1", day=day, target=100.0, band=band, evaluated_at=NOW
    )


async def test_a_person_sees_the_goals_they_own_or_lead_in_their_workspace_only(
    database: Database,
) -> None:
    async with database.transaction() as session:
        for row in (
            goal("gmv", owner="U0ANA"),
            goal("aov", lead="U0ANA"),
            goal("nps", owner="U0LI"),
            goal("dau", owner="U0ANA", status=GoalStatus.PAUSED.value),
            goal("gmv", team="T2", owner="U0ANA"),
        ):
            await stored(session, row)
        found = await goal_store.person_goals(session=session, team_id="T1", user_id="U0ANA")
    assert [(g.team_id, g.metric_key) for g in found] == [("T1", "aov"), ("T1", "gmv")]


async def test_latest_band_is_the_last_stored_on_or_before_the_day(database: Database) -> None:
    async with database.transaction() as session:
        gmv = await stored(session, goal("gmv", owner="U0ANA"))
        aov = await stored(session, goal("aov", owner="U0ANA"))
        assert gmv.id is not None
        assert aov.id is not None
        await stored(session, evaluation(gmv.id, DAY - timedelta(days=1), "green"))
        await stored(session, evaluation(gmv.id, DAY, "orange"))
        await stored(session, evaluation(gmv.id, DAY + timedelta(days=1), "red"))
        bands = await evaluation_store.latest_bands(session=session, through=DAY, team_id="T1")
    assert bands == {gmv.id: "orange", aov.id: None}


async def test_open_remediations_oldest_due_first_and_scoped(database: Database) -> None:
    async with database.transaction() as session:
        gmv = await stored(session, goal("gmv", owner="U0ANA"))
        aov = await stored(session, goal("aov", owner="U0ANA"))
        other = await stored(session, goal("gmv", team="T2", owner="U0ANA"))
        ids = []
        for row, team, due, status in (
            (gmv, "T1", NOW + timedelta(hours=72), "open"),
            (aov, "T1", NOW + timedelta(hours=24), "open"),
            (other, "T2", NOW, "open"),
        ):
            assert row.id is not None
            rem = await stored(
                session,
                RemediationRow(
                    goal_id=row.id,
                    team_id=team,
                    channel_id="C1",
                    trigger="orange",
                    opened_at=NOW,
                    due_at=due,
                    status=status,
                ),
            )
            ids.append(rem.id)
        found = await escalation.open_remediations(session=session, team_id="T1")
    assert [r.id for r in found] == [ids[1], ids[0]]


# (team, user, goal id, minutes after NOW) picks made, in this order.
Pick = tuple[str, str, int, int]


@pytest.mark.parametrize(
    ("picks", "expected"),
    [
        pytest.param([], None, id="never-picked"),
        pytest.param([("T1", "U0ANA", 1, 0), ("T1", "U0ANA", 2, 5)], 2, id="latest-pick"),
        pytest.param([("T1", "U0ANA", 1, 0), ("T1", "U0ANA", 2, 0)], 2, id="same-moment"),
        pytest.param(
            [("T1", "U0ANA", 1, 0), ("T1", "U0LI", 2, 5), ("T2", "U0ANA", 3, 9)],
            1,
            id="others-and-other-workspaces-apart",
        ),
    ],
)
async def test_the_chart_pick_is_the_persons_latest_in_the_workspace(
    database: Database, picks: list[Pick], expected: int | None
) -> None:
    async with database.transaction() as session:
        for team, user, goal_id, minutes in picks:
            await home_store.record_chart_pick(
                session=session,
                team_id=team,
                user_id=user,
                goal_id=goal_id,
                channel_id="C1",
                at=NOW + timedelta(minutes=minutes),
            )
            await session.flush()
        found = await home_store.chart_pick(session=session, team_id="T1", user_id="U0ANA")
    assert found == expected
