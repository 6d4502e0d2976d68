"""Setting a goal's plan and stretch (`jobs.goals.service.set_goal`) on SQLite and PostgreSQL:
what is stored, what a later `set` keeps, and what is refused before anything is written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from jobs.errors import UsageError
from jobs.goals.goal_plan import plan_of
from jobs.goals.plan import Milestone, Plan
from jobs.goals.service import Actor, GoalChange, set_goal
from jobs.metrics.catalog import MetricCatalog
from storage import goals as goal_store
from storage.db import Database
from storage.models import Direction, Goal

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
JAN1, JAN31, MAR31 = date(2027, 1, 1), date(2027, 1, 31), date(2027, 3, 31)
PLANNED = GoalChange(
    "dau", 150_000, due_date=MAR31, start_value=100_000, start_date=JAN1, pace="front-loaded"
)


async def _admin() -> bool:
    return True


async def save(database: Database, catalog: MetricCatalog, change: GoalChange) -> Goal:
    async with database.transaction() as session:
        goal, _ = await set_goal(
            session=session,
            catalog=catalog,
            team_id="T1",
            channel_id="C1",
            actor=Actor("U0ANA", _admin),
            change=change,
            now=NOW,
        )
        return goal


async def stored(database: Database) -> Goal | None:
    async with database.transaction() as session:
        return await goal_store.get_goal(
            session=session, team_id="T1", channel_id="C1", metric_key="dau"
        )


async def test_a_plan_is_stored_and_read_back(database: Database, catalog: MetricCatalog) -> None:
    """Start, pace, milestones and stretch are stored; the goal reads back as the same plan."""
    change = GoalChange(
        "dau",
        150_000,
        due_date=MAR31,
        start_value=100_000,
        start_date=JAN1,
        milestones=(Milestone(JAN31, 120_000),),
        stretch=200_000,
    )
    await save(database, catalog, change)
    goal = await stored(database)
    assert goal is not None
    assert goal.milestones == [{"day": "2027-01-31", "value": 120_000}]
    assert plan_of(goal) == Plan(
        start_day=JAN1,
        start_value=100_000,
        due=MAR31,
        target=150_000,
        milestones=(Milestone(JAN31, 120_000),),
        stretch=200_000,
    )


async def test_a_later_set_keeps_the_plan_it_does_not_change(
    database: Database, catalog: MetricCatalog
) -> None:
    """A new target alone leaves start, pace and due date as they were."""
    await save(database, catalog, PLANNED)
    await save(database, catalog, GoalChange("dau", 160_000))
    goal = await stored(database)
    assert goal is not None
    plan = plan_of(goal)
    assert plan is not None
    assert (plan.target, plan.start_value, plan.pace, plan.due) == (
        160_000,
        100_000,
        "front-loaded",
        MAR31,
    )


REFUSED = [
    pytest.param(
        [GoalChange("dau", 150_000, start_value=100_000, start_date=JAN1)],
        "A plan needs a due date",
        id="start-without-any-due-date",
    ),
    pytest.param(
        [PLANNED, GoalChange("dau", 150_000, due_date=date(2026, 12, 1))],
        "must come before the due date (2026-12-01)",
        id="new-due-date-before-the-stored-start",
    ),
    pytest.param(
        [GoalChange("dau", 150_000, stretch=200_000), GoalChange("dau", 250_000)],
        "The stretch (200k) must be above the target (250k)",
        id="new-target-past-the-stored-stretch",
    ),
    pytest.param(
        [GoalChange("dau", 150_000, stretch=200_000), GoalChange("dau", 100_000, Direction.LOWER)],
        "must be below the target (100k)",
        id="new-direction-turns-the-stretch-round",
    ),
    pytest.param(
        [PLANNED, GoalChange("dau", 150_000, milestones=(Milestone(date(2027, 5, 1), 1),))],
        "Milestones must fall after the start (2027-01-01)",
        id="milestone-past-the-stored-due-date",
    ),
]


@pytest.mark.parametrize(("changes", "fragment"), REFUSED)
async def test_a_change_that_makes_no_plan_is_refused_and_nothing_is_written(
    database: Database, catalog: MetricCatalog, changes: list[GoalChange], fragment: str
) -> None:
    """The last change is refused with UsageError and an example; the goal stays as it was."""
    for change in changes[:-1]:
        await save(database, catalog, change)
    before = await stored(database)
    with pytest.raises(UsageError) as caught:
        await save(database, catalog, changes[-1])
    assert fragment in str(caught.value)
    assert caught.value.example is not None
    after = await stored(database)
    assert (after.model_dump() if after else None) == (before.model_dump() if before else None)
