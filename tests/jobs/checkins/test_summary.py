"""The weekly check-in summary as data (jobs/checkins/summary.py `summarize`): what is told,
in which order, and each confidence's change."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from jobs.checkins.summary import GoalHeading, iso_week, last_confidences, summarize, week_of
from jobs.messages import MissedCheckin
from storage.models import Checkin

MONDAY = date(2026, 11, 23)
SUNDAY = MONDAY + timedelta(days=6)
HEADINGS = {
    1: GoalHeading(1, "gmv", "GMV", "currency", "fraction", "$"),
    2: GoalHeading(2, "aov", "AOV", "currency", "fraction", "$"),
}
_ids = iter(range(1, 10_000))


def checkin(goal_id: int, day: int, state: str, **fields: Any) -> Checkin:
    """A check-in of `goal_id` on MONDAY + `day` days."""
    return Checkin(
        id=next(_ids),
        goal_id=goal_id,
        team_id="T0001",
        channel_id="C0GROWTH",
        user_id=fields.pop("user_id", "U0ANA"),
        day=MONDAY + timedelta(days=day),
        state=state,
        **fields,
    )


def summary(checkins: list[Checkin], before: dict[int, str] | None = None) -> Any:
    return summarize(
        channel_id="C0GROWTH",
        first=MONDAY,
        last=SUNDAY,
        headings=HEADINGS,
        checkins=checkins,
        before=before or {},
    )


@pytest.mark.parametrize(
    ("checkins", "before", "expected"),
    [
        pytest.param(
            [checkin(1, 0, "answered", confidence="on_track")],
            {},
            [(None, "on_track")],
            id="first-ever",
        ),
        pytest.param(
            [checkin(1, 0, "answered", confidence="at_risk")],
            {1: "on_track"},
            [("on_track", "at_risk")],
            id="from-last-week",
        ),
        pytest.param(
            [
                checkin(1, 4, "answered", confidence="off_track"),
                checkin(1, 0, "answered", confidence="on_track"),
            ],
            {},
            [(None, "on_track"), ("on_track", "off_track")],
            id="in-day-order",
        ),
        pytest.param(
            [
                checkin(1, 0, "answered", confidence="at_risk"),
                checkin(1, 2, "answered", confidence=None, value=5.0),
                checkin(1, 4, "answered", confidence="on_track"),
            ],
            {},
            [(None, "at_risk"), ("at_risk", None), ("at_risk", "on_track")],
            id="one-without-confidence-keeps-the-last",
        ),
    ],
)
def test_each_answer_carries_the_confidence_before_it(
    checkins: list[Checkin], before: dict[int, str], expected: list[tuple[str | None, str | None]]
) -> None:
    """An answer's change is against the goal's answer before it, last week's for the first."""
    [goal] = summary(checkins, before).goals
    assert [(entry.previous, entry.confidence) for entry in goal.answered] == expected


@pytest.mark.parametrize(
    "state", ["asked", "reminded", "undeliverable", "cancelled"], ids=lambda s: s
)
def test_only_answered_and_missed_are_told(state: str) -> None:
    """Open, undeliverable and cancelled check-ins are left out; alone, there is no summary."""
    assert summary([checkin(1, 0, state)]) is None
    [goal] = summary([checkin(1, 0, state), checkin(1, 1, "missed")]).goals
    assert goal.answered == ()
    assert goal.missed == (MissedCheckin("U0ANA", MONDAY + timedelta(days=1)),)


def test_goals_in_metric_order_outside_ones_left_out() -> None:
    """Goals come in metric-key order; a goal without a heading (removed) or a day outside
    the week is not told."""
    result = summary(
        [
            checkin(1, 0, "answered", confidence="on_track"),
            checkin(2, 1, "missed", user_id="U0LI"),
            checkin(3, 1, "answered", confidence="on_track"),
            checkin(1, 7, "answered", confidence="off_track"),
        ]
    )
    assert [goal.metric_key for goal in result.goals] == ["aov", "gmv"]
    assert result.week == "2026-W48"
    assert len(result.goals[1].answered) == 1


def test_weeks_and_last_confidences() -> None:
    """ISO weeks across a year's end; the newest answered confidence per goal."""
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    assert week_of(date(2026, 11, 29)) == (MONDAY, SUNDAY)
    found = last_confidences(
        [
            checkin(1, -3, "answered", confidence="off_track"),
            checkin(1, -5, "answered", confidence="on_track"),
            checkin(1, -2, "missed"),
            checkin(2, -4, "answered", confidence=None),
        ]
    )
    assert found == {1: "off_track"}
