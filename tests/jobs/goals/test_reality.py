"""The reality check: a new target against the metric's best 4 weeks on record."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pandas as pd
import pytest

from jobs.goals.reality import RealityCheck, reality_check

JAN1 = date(2025, 1, 1)


def _daily(values: list[float], start: date = JAN1) -> dict[date, float]:
    """One value a day from `start`."""
    return {start + timedelta(days=i): value for i, value in enumerate(values)}


def _check(**fields: object) -> RealityCheck:
    """A check with the given fields and None for the rest."""
    nothing = dict.fromkeys(RealityCheck.__dataclass_fields__)
    return RealityCheck(**(nothing | fields))


# 0, 1, …, 59 from 1 Jan to 1 Mar: +28 every 4 weeks, so 7 a week at best.
STEADY = _daily(list(range(60)))
MAR1, MAR29 = date(2025, 3, 1), date(2025, 3, 29)  # 4 weeks apart
# Flat at 100 to 31 Jan, +2 a day to 28 Feb (156), flat again to 31 Mar: best 56 in 4 weeks.
STRONG_MONTH = _daily([100.0] * 31 + [100.0 + 2 * i for i in range(1, 29)] + [156.0] * 31)
# Complaints from 500 on 1 Jan, 10 fewer a day, to 220 on 29 Jan: a fall of 280 in 4 weeks.
COMPLAINTS = _daily([500.0 - 10 * i for i in range(29)])
JAN29 = date(2025, 1, 29)
# Only 1 Jan → 29 Jan (+14) and 29 Jan → 26 Feb (+7) lie exactly 28 days apart; 30 Jan's 100
# has no partner (29 days after 1 Jan, 27 before 26 Feb).
GAPS = {JAN1: 10.0, JAN29: 24.0, date(2025, 1, 30): 100.0, date(2025, 2, 26): 31.0}


@pytest.mark.parametrize(
    ("history", "target", "due", "today", "direction", "expected"),
    [
        # 21 to go in 4 weeks: 5.25 a week, 0.75 of the best.
        pytest.param(
            STEADY, 80, MAR29, MAR1, "higher",
            _check(current=59, needed_per_week=5.25, best_per_week=7, ratio=0.75, reachable=True),
            id="steady-within-reach",
        ),
        pytest.param(
            STEADY, 87, MAR29, MAR1, "higher",
            _check(current=59, needed_per_week=7, best_per_week=7, ratio=1.0, reachable=True),
            id="steady-exactly-the-best-pace",
        ),
        # 42 to go in 4 weeks: 10.5 a week, 1.5× the best; at 7 a week, 6 weeks (12 Apr), and
        # 59 + 4 × 7 = 87 by the due date.
        pytest.param(
            STEADY, 101, MAR29, MAR1, "higher",
            _check(
                current=59, needed_per_week=10.5, best_per_week=7, ratio=1.5, reachable=False,
                suggested_due=date(2025, 4, 12), suggested_target=87,
            ),
            id="steady-out-of-reach",
        ),
        # 44 to go in the 4 weeks to 28 Apr: 11 a week against the strong month's 14.
        pytest.param(
            STRONG_MONTH, 200, date(2025, 4, 28), date(2025, 3, 31), "higher",
            _check(
                current=156, needed_per_week=11, best_per_week=14, ratio=11 / 14, reachable=True
            ),
            id="one-strong-month",
        ),
        # 14 to go in 4 weeks: 3.5 a week, the best exact 4-week pace (not 30 Jan's jump).
        pytest.param(
            GAPS, 45, date(2025, 3, 26), date(2025, 2, 26), "higher",
            _check(
                current=31, needed_per_week=3.5, best_per_week=3.5, ratio=1.0, reachable=True
            ),
            id="gaps-only-exact-pairs",
        ),
        # 120 to lose in a week against a best fall of 70 a week: 12 days (10 Feb) at that
        # pace, and 220 - 70 = 150 by the due date.
        pytest.param(
            COMPLAINTS, 100, date(2025, 2, 5), JAN29, "lower",
            _check(
                current=220, needed_per_week=120, best_per_week=70, ratio=120 / 70,
                reachable=False, suggested_due=date(2025, 2, 10), suggested_target=150,
            ),
            id="lower-out-of-reach",
        ),
        # 20 to lose in 4 weeks: 5 a week.
        pytest.param(
            COMPLAINTS, 200, date(2025, 2, 26), JAN29, "lower",
            _check(
                current=220, needed_per_week=5, best_per_week=70, ratio=5 / 70, reachable=True
            ),
            id="lower-within-reach",
        ),
        # Moving towards the target, here down, is what counts for `either`.
        pytest.param(
            COMPLAINTS, 200, date(2025, 2, 26), JAN29, "either",
            _check(
                current=220, needed_per_week=5, best_per_week=70, ratio=5 / 70, reachable=True
            ),
            id="either-towards-target",
        ),
    ],
)  # fmt: skip
def test_judged(
    history: dict[date, float],
    target: float,
    due: date,
    today: date,
    direction: str,
    expected: RealityCheck,
) -> None:
    """The pace a target needs, set against the best 4 weeks on record."""
    check = reality_check(history, target=target, due=due, today=today, direction=direction)
    assert asdict(check) == pytest.approx(asdict(expected))


@pytest.mark.parametrize(
    ("history", "target", "due", "today", "direction", "expected"),
    [
        pytest.param(
            {}, 100, MAR29, MAR1, "higher", _check(reason="no_history"), id="no-history"
        ),
        # 1 Jan to 28 Jan: no two values 28 days apart yet; what is needed is still said.
        pytest.param(
            _daily(list(range(28))), 55, date(2025, 2, 25), date(2025, 1, 28), "higher",
            _check(current=27, needed_per_week=7, reason="no_history"),
            id="27-days-of-history",
        ),
        pytest.param(
            {JAN1: 10.0, date(2025, 1, 30): 20.0}, 30, date(2025, 2, 27), date(2025, 1, 30),
            "higher",
            _check(current=20, needed_per_week=2.5, reason="no_history"),
            id="long-span-but-no-4-week-pair",
        ),
        pytest.param(
            _daily([100.0] * 40), 120, date(2025, 3, 9), date(2025, 2, 9), "higher",
            _check(current=100, needed_per_week=5, best_per_week=0, reason="never_improved"),
            id="never-improved-flat",
        ),
        # Complaints only ever rose, by 28 in every 4 weeks.
        pytest.param(
            STEADY, 30, MAR29, MAR1, "lower",
            _check(current=59, needed_per_week=7.25, best_per_week=-7, reason="never_improved"),
            id="never-improved-lower",
        ),
        pytest.param(
            STEADY, 50, MAR29, MAR1, "higher",
            _check(current=59, best_per_week=7, reason="already_met"),
            id="already-met",
        ),
        pytest.param(
            COMPLAINTS, 250, date(2025, 2, 26), JAN29, "lower",
            _check(current=220, best_per_week=70, reason="already_met"),
            id="already-met-lower",
        ),
        pytest.param(
            STEADY, 100, None, MAR1, "higher",
            _check(current=59, best_per_week=7, reason="no_due_date"),
            id="no-due-date",
        ),
        pytest.param(
            STEADY, 100, MAR1, MAR1, "higher",
            _check(current=59, best_per_week=7, reason="past_due"),
            id="due-today",
        ),
        pytest.param(
            STEADY, 100, date(2025, 2, 1), MAR1, "higher",
            _check(current=59, best_per_week=7, reason="past_due"),
            id="past-due",
        ),
    ],
)  # fmt: skip
def test_not_judged(
    history: dict[date, float],
    target: float,
    due: date | None,
    today: date,
    direction: str,
    expected: RealityCheck,
) -> None:
    """Without the means to judge, the check says why and keeps the figures it has."""
    check = reality_check(history, target=target, due=due, today=today, direction=direction)
    assert asdict(check) == pytest.approx(asdict(expected))


@pytest.mark.parametrize(
    "history",
    [
        pytest.param(pd.Series(STEADY), id="series-of-dates"),
        pytest.param(pd.Series(STEADY.values(), index=pd.DatetimeIndex(STEADY)), id="timestamps"),
        pytest.param(pd.Series(dict(reversed(STEADY.items()))), id="unsorted"),
        # A day after `today` is not on record yet: 2 Mar's 500 is not the current value.
        pytest.param(STEADY | {date(2025, 3, 2): 500.0}, id="ignores-days-after-today"),
        pytest.param(STEADY | {date(2025, 1, 20): float("nan")}, id="ignores-missing-values"),
    ],
)
def test_history_forms(history: dict[date, float] | pd.Series) -> None:
    """A series by day reads like the mapping it holds."""
    check = reality_check(history, target=80, due=MAR29, today=MAR1, direction="higher")
    assert check == reality_check(STEADY, target=80, due=MAR29, today=MAR1, direction="higher")
    assert check.current == 59
    assert check.best_per_week == 7


def test_bad_direction_raises() -> None:
    """A direction the goal cannot have is refused, not read as one it can."""
    with pytest.raises(ValueError, match="direction"):
        reality_check(STEADY, target=80, due=MAR29, today=MAR1, direction="sideways")
