"""Plans, stretch targets and the reality check as people read them: `bot.render.plan` in the
digest and `/goal show`, `bot.render.reality` under `/goal set`."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.render.digest import full_line
from bot.render.goal_detail import goal_detail_blocks
from bot.render.plan import plan_notes
from bot.render.reality import reality_text
from jobs.digest.model import GoalLine
from jobs.goals.plan import PlanStatus
from jobs.goals.reality import RealityCheck
from jobs.metrics.catalog import load_catalog
from jobs.metrics.quantities import format_value
from storage.models import Evaluation, Goal
from tests.bot.test_render_digest import BASE

CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")
DAY = date(2027, 3, 1)
MAR31 = date(2027, 3, 31)
SHOWN = functools.partial(format_value, "count")
PERCENT = functools.partial(format_value, "percent")


def status(gap: float, needed: float | None = 3_100.0, **changes: float | None) -> PlanStatus:
    """Where a goal stands against its plan on DAY."""
    fields = {"stretch_progress": None, "floor_progress": 0.4} | changes
    return PlanStatus(DAY, 125_000.0, 120_000.0, gap, needed, **fields)  # type: ignore[arg-type]


def line(**changes: object) -> GoalLine:
    """A goal at 120k against 150k by 31 Mar, changed by `changes`."""
    base = replace(BASE, value=120_000.0, target=150_000.0, deviation=-0.04, due_date=MAR31)
    return replace(base, **changes)  # type: ignore[arg-type]


NOTES = [
    pytest.param(
        line(plan=status(-0.04)),
        ["4% behind plan, needs +3.1k a week to make 150k by 31 Mar"],
        id="behind-plan",
    ),
    pytest.param(
        line(plan=status(0.02)),
        ["2% ahead of plan, needs +3.1k a week to make 150k by 31 Mar"],
        id="ahead-of-plan",
    ),
    pytest.param(line(plan=status(0.001, None)), ["0.1% ahead of plan"], id="past-due-no-pace"),
    pytest.param(line(plan=status(0.0004, None)), ["on plan"], id="on-plan"),
    pytest.param(line(plan=status(0.3, -2_000.0)), ["30% ahead of plan"], id="floor-met-no-pace"),
    pytest.param(
        line(plan=status(-0.04), due_date=date(2028, 3, 31)),
        ["4% behind plan, needs +3.1k a week to make 150k by 31 Mar 2028"],
        id="due-next-year-says-the-year",
    ),
    pytest.param(
        line(target=500e6, value=560e6, stretch=800e6),
        ["112% of floor", "70% of the way to the 800M stretch"],
        id="stretch-without-plan-from-zero",
    ),
    pytest.param(
        line(target=500e6, value=900e6, stretch=800e6),
        ["180% of floor", "past the 800M stretch"],
        id="past-the-stretch",
    ),
    pytest.param(
        line(plan=status(-0.04, stretch_progress=0.25), stretch=200_000.0),
        [
            "4% behind plan, needs +3.1k a week to make 150k by 31 Mar",
            "40% of floor",
            "25% of the way to the 200k stretch",
        ],
        id="stretch-with-plan-from-its-start",
    ),
    pytest.param(
        line(direction="lower", target=0.02, value=0.03, stretch=0.01),
        [],
        id="lower-stretch-without-plan-has-no-zero",
    ),
    pytest.param(line(), [], id="no-plan-no-stretch"),
]  # fmt: skip


@pytest.mark.parametrize(("goal_line", "expected"), NOTES)
def test_plan_notes_say_where_the_goal_stands(goal_line: GoalLine, expected: list[str]) -> None:
    """Behind or ahead of plan, the pace still needed, and progress to the floor and stretch."""
    assert plan_notes(goal_line) == expected


def test_the_digest_line_says_behind_plan_instead_of_the_deviation() -> None:
    """With a plan, the deviation (from the plan's value) gives way to the plan's words."""
    text = full_line(line(band="yellow", plan=status(-0.04)))
    first, second = text.split("\n")[:2]
    assert "120k vs 150k" in first
    assert "−4.0%" not in text
    assert second.startswith("4% behind plan, needs +3.1k a week to make 150k by 31 Mar")


def test_the_digest_line_without_a_plan_keeps_its_deviation() -> None:
    assert "120k vs 150k · −4.0%" in full_line(line(band="green"))


NO_HISTORY = (
    "Not enough history yet to say whether the pace is enough: that takes values 4 weeks apart."
)
REALITY = [
    pytest.param(
        RealityCheck(100_000, 12_500, 3_900, 3.2, False, date(2027, 6, 14), 118_000, None),
        ":warning: Needs +12.5k a week; the best 4 weeks on record managed +3.9k a week "
        "(3.2× the best pace). At that pace: 150k by 14 Jun, or 118k by 31 Mar.",
        id="out-of-reach",
    ),
    pytest.param(
        RealityCheck(100_000, 12_500, 3_900, 3.2, False, date(2028, 1, 14), 118_000, None),
        ":warning: Needs +12.5k a week; the best 4 weeks on record managed +3.9k a week "
        "(3.2× the best pace). At that pace: 150k by 14 Jan 2028, or 118k by 31 Mar.",
        id="out-of-reach-into-next-year",
    ),
    pytest.param(
        RealityCheck(100_000, 3_100, 3_900, 3_100 / 3_900, True, None, None, None),
        "Needs +3.1k a week; the best 4 weeks on record: +3.9k a week.",
        id="within-reach",
    ),
    pytest.param(
        RealityCheck(200_000, 3_100, 3_900, 0.8, True, None, None, None),
        "Needs −3.1k a week; the best 4 weeks on record: −3.9k a week.",
        id="target-below-current-shows-falls",
    ),
    pytest.param(
        RealityCheck(100_000, None, 3_900, None, None, None, None, "no_due_date"),
        "Add a due date (`by 2028-03-31`) so goalpulse can say whether the pace is enough.",
        id="no-due-date",
    ),
    pytest.param(
        RealityCheck(100_000, 3_100, None, None, None, None, None, "no_history"),
        NO_HISTORY,
        id="not-enough-history",
    ),
    pytest.param(
        RealityCheck(None, None, None, None, None, None, None, "no_history"),
        NO_HISTORY,
        id="no-values-at-all",
    ),
    pytest.param(
        RealityCheck(160_000, None, 1_000, None, None, None, None, "already_met"),
        "The latest value, 160k, already meets the target.",
        id="already-met",
    ),
    pytest.param(
        RealityCheck(100_000, 3_100, -500, None, None, None, None, "never_improved"),
        "Needs +3.1k a week; no 4 weeks on record moved it that way.",
        id="never-improved",
    ),
    pytest.param(
        RealityCheck(100_000, None, 3_900, None, None, None, None, "past_due"), None, id="due-today"
    ),
]  # fmt: skip


@pytest.mark.parametrize(("check", "expected"), REALITY)
def test_the_reality_check_warns_but_never_refuses(
    check: RealityCheck, expected: str | None
) -> None:
    """Needed against best pace, with what the best pace reaches; or why it cannot say."""
    text = reality_text(check, target=150_000, due=MAR31, today=date(2027, 1, 1), shown=SHOWN)
    assert text == expected


def test_lower_is_better_needs_a_fall_each_week_in_points() -> None:
    """A complaint rate from 5% down to 2% needs its weekly fall shown with a minus."""
    check = RealityCheck(0.05, 0.003, 0.001, 3.0, False, date(2027, 11, 1), 0.04, None)
    text = reality_text(check, target=0.02, due=MAR31, today=date(2027, 1, 1), shown=PERCENT)
    assert text is not None
    assert text.startswith(":warning: Needs −0.3% a week; the best 4 weeks on record managed −0.1%")
    assert text.endswith("At that pace: 2% by 1 Nov, or 4% by 31 Mar.")


def test_show_gives_the_plan_and_where_the_goal_stands() -> None:
    """`/goal show` of a goal with a plan and a stretch: the plan, the value expected that day,
    behind plan with the pace needed, and progress to floor and stretch."""
    now = datetime(2027, 3, 1, 9, tzinfo=UTC)
    goal = Goal(
        id=1, team_id="T1", channel_id="C1", metric_key="dau", target=150_000, direction="higher",
        unit="count", due_date=MAR31, owner_id="U0ANA", created_by="U0ANA", created_at=now,
        updated_at=now, start_value=100_000, start_date=date(2027, 1, 1), stretch=200_000,
        milestones=[{"day": "2027-01-31", "value": 120_000}],
    )  # fmt: skip
    latest = Evaluation(
        goal_id=1, team_id="T1", day=DAY, value=120_000, value_day=DAY, target=134_746,
        deviation=-0.11, adverse=0.11, band="yellow", evaluated_at=now,
    )  # fmt: skip
    blocks = [block.to_dict() for block in goal_detail_blocks(goal, CATALOG.get("dau"), [latest])]
    [plan] = [b["text"]["text"] for b in blocks if "Plan*" in b.get("text", {}).get("text", "")]
    # Through the milestone: 120k on 31 Jan to 150k on 31 Mar, 29 of 59 days on by 1 Mar.
    assert plan == (
        "*Plan* 100k on 1 Jan → 150k by 31 Mar (through 1 milestone) · *Stretch* 200k · "
        "134.7k expected on 1 Mar\n"
        "11% behind plan, needs +7k a week to make 150k by 31 Mar · 40% of floor · "
        "20% of the way to the 200k stretch"
    )


def test_show_without_plan_or_stretch_has_no_plan_section() -> None:
    now = datetime(2027, 3, 1, 9, tzinfo=UTC)
    goal = Goal(
        id=1, team_id="T1", channel_id="C1", metric_key="dau", target=150_000, direction="higher",
        unit="count", created_by="U0ANA", created_at=now, updated_at=now,
    )  # fmt: skip
    blocks = [block.to_dict() for block in goal_detail_blocks(goal, CATALOG.get("dau"))]
    assert not [b for b in blocks if "Plan*" in b.get("text", {}).get("text", "")]
