"""What the digest says beside a goal (jobs/digest/owner_notes.py): whether the owner's
off-track answer alone raised the band, and each guard against its latest value."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from jobs.digest.model import BenchmarkGap
from jobs.digest.owner_notes import guard_statuses, raised_by_owner
from jobs.evaluation.guardrails import Guard
from jobs.goals.guardrails import StoredGuard, write_guards
from storage.models import Goal
from tests.bot.test_render_digest import BASE

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
GOAL = Goal(
    id=1,
    team_id="T0001",
    channel_id="C0GROWTH",
    metric_key="dau",
    target=150_000.0,
    direction="higher",
    unit="count",
    created_by="U0ANA",
    created_at=NOW,
    updated_at=NOW,
)


@pytest.mark.parametrize(
    ("line", "confidence", "raised"),
    [
        pytest.param({"band": "yellow", "deviation": 0.02}, "off_track", True, id="raised"),
        pytest.param({"band": "yellow", "deviation": -0.05}, "off_track", True, id="inside"),
        pytest.param({"band": "yellow", "deviation": -0.1}, "off_track", False, id="edge"),
        pytest.param({"band": "yellow", "deviation": -0.15}, "off_track", False, id="numbers"),
        pytest.param({"band": "yellow", "deviation": 0.02}, "at_risk", False, id="at-risk"),
        pytest.param({"band": "yellow", "deviation": 0.02}, None, False, id="no-answer"),
        pytest.param({"band": "green", "deviation": 0.02}, "off_track", False, id="green"),
        pytest.param({"band": "yellow", "deviation": None}, "off_track", False, id="no-value"),
        pytest.param(
            {"band": "yellow", "deviation": 0.05, "direction": "lower"},
            "off_track",
            True,
            id="lower-better",
        ),
        pytest.param(
            {"band": "yellow", "deviation": 0.0, "benchmark": BenchmarkGap(1.0, -0.3, True)},
            "off_track",
            False,
            id="benchmark-raised-it",
        ),
    ],
)
def test_raised_by_owner(line: dict[str, Any], confidence: str | None, raised: bool) -> None:
    """Only a yellow goal whose numbers are inside the yellow edge (and no breached benchmark)
    was raised by its owner's off-track answer."""
    assert raised_by_owner(replace(BASE, **line), GOAL, confidence) is raised


def test_guard_statuses() -> None:
    """Each guard's change against its metric's latest value, in the stored order."""
    guards = [
        StoredGuard(Guard("complaint_rate", "lower", 0.1, 0.02)),
        StoredGuard(Guard("nps", "higher", 0.1, 40.0), alerted=True),
        StoredGuard(Guard("refunds", "lower", 0.1, None)),
    ]
    goal = GOAL.model_copy(update={"guardrails": write_guards(guards)})
    values = {"complaint_rate": 0.027, "nps": 39.0, "refunds": 5.0}
    statuses = guard_statuses(goal, "green", values)
    assert [(s.metric_key, s.breached) for s in statuses] == [
        ("complaint_rate", True),
        ("nps", False),
        ("refunds", False),
    ]
    assert [s.change for s in statuses] == [pytest.approx(0.35), pytest.approx(-0.025), None]
