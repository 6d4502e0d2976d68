"""`/goal set`'s plan words: stretch, `from … on …`, pace and milestones, and their refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.parse import Command, SetGoal, parse_command
from bot.render.text import error_text
from jobs.errors import UsageError
from jobs.goals.plan import Milestone
from jobs.goals.service import GoalChange
from jobs.metrics.catalog import load_catalog
from storage.models import Direction
from tests.bot.test_parse import as_typed, assert_inert, parse_outcome

TODAY = date(2026, 11, 25)
CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")


def parse(text: str) -> Command:
    return parse_command(text, catalog=CATALOG, today=TODAY)


def goal(key: str, target: float, **fields: object) -> SetGoal:
    return SetGoal(GoalChange(metric_key=key, target=target, **fields))  # type: ignore[arg-type]


JAN1, JAN31, FEB28, MAR31 = (
    date(2027, 1, 1),
    date(2027, 1, 31),
    date(2027, 2, 28),
    date(2027, 3, 31),
)

VALID = [
    pytest.param(
        "set dau 500k stretch 800k by 2027-03-31",
        goal("dau", 500_000, stretch=800_000.0, due_date=MAR31),
        id="floor-and-stretch",
    ),
    pytest.param(
        "set dau 150k by 2027-03-31 from 100k on 2027-01-01",
        goal("dau", 150_000, due_date=MAR31, start_value=100_000.0, start_date=JAN1),
        id="start-on-a-day",
    ),
    pytest.param(
        "set dau 150k by 2027-03-31 from 100k",
        goal("dau", 150_000, due_date=MAR31, start_value=100_000.0, start_date=TODAY),
        id="start-alone-is-today",
    ),
    pytest.param(
        "set dau 150k from 100k on 2027-01-01 by 2027-03-31 pace Front-Loaded",
        goal(
            "dau",
            150_000,
            due_date=MAR31,
            start_value=100_000.0,
            start_date=JAN1,
            pace="front-loaded",
        ),
        id="pace-any-case",
    ),
    pytest.param(
        "set dau 150k by 2027-03-31 from 100k on 2027-01-01 "
        "milestone 2027-02-28 130k milestone 2027-01-31 120k",
        goal(
            "dau",
            150_000,
            due_date=MAR31,
            start_value=100_000.0,
            start_date=JAN1,
            milestones=(Milestone(JAN31, 120_000.0), Milestone(FEB28, 130_000.0)),
        ),
        id="milestones-sorted-by-day",
    ),
    pytest.param(
        "set complaint_rate 2% stretch 1.5% by 2027-03-31 from 5%",
        goal(
            "complaint_rate",
            0.02,
            stretch=0.015,
            due_date=MAR31,
            start_value=0.05,
            start_date=TODAY,
        ),
        id="lower-is-better-stretch-below",
    ),
    pytest.param(
        "set dau 150k lower stretch 100k",
        goal("dau", 150_000, direction=Direction.LOWER, stretch=100_000.0),
        id="typed-direction-decides-the-stretch-side",
    ),
    pytest.param(
        "set dau 150k from 0 on 2026-10-01",
        goal("dau", 150_000, start_value=0.0, start_date=date(2026, 10, 1)),
        id="start-from-zero-in-the-past-due-stored",
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_plan_words_parse_into_the_goal_change(text: str, expected: Command) -> None:
    """Each plan word lands in its GoalChange field; words may come in any order."""
    assert parse(text) == expected


START_AFTER_DUE = "set dau 150k by 2027-03-31 from 100k on 2027-04-01"
PLANNED = "set dau 150k by 2027-03-31 from 100k on 2027-01-01"
MALFORMED = [
    # (id, text, a distinctive part of the message)
    ("bad-pace", "set dau 150k from 1k pace fast", "`pace` is `linear` or `front-loaded`, but"),
    ("pace-missing", "set dau 150k pace", "but got nothing"),
    ("stretch-below-floor", "set dau 150k stretch 100k", "The stretch (100k) must be above"),
    ("stretch-equal-to-floor", "set dau 150k stretch 150k", "must be above the target (150k)"),
    ("stretch-above-floor-lower", "set complaint_rate 2% stretch 3%", "must be below the target"),
    ("stretch-either", "set nps 5 either stretch 8", "A stretch target needs a goal with a"),
    ("stretch-not-a-number", "set dau 150k stretch lots", "`stretch` needs a number, but got"),
    ("stretch-zero", "set dau 150k stretch 0", "A target of 0"),
    ("stretch-twice", "set dau 150k stretch 1 stretch 2", "`stretch` is given twice"),
    ("start-after-due", START_AFTER_DUE, "start (2027-04-01) must come before the due date"),
    ("start-on-due", "set dau 1k by 2027-03-31 from 1 on 2027-03-31", "before the due date"),
    ("from-missing", "set dau 150k from", "`from` needs a number, but got nothing"),
    ("from-negative", "set dau 150k from -5", "`-5` is negative"),
    ("from-percent-on-count", "set dau 150k from 30%", "`dau` is a count metric"),
    ("on-missing", "set dau 150k from 1k on", "`on` needs a date written YYYY-MM-DD"),
    ("on-bad-date", "set dau 150k from 1k on 2027-02-30", "but got `2027-02-30`"),
    ("from-twice", "set dau 150k from 1k from 2k", "`from` is given twice"),
    ("pace-without-start", "set dau 150k pace linear", "need the value the plan starts from"),
    ("milestone-without-start", "set dau 150k milestone 2027-01-31 120k", "starts from"),
    ("milestone-value-first", "set dau 150k milestone 120k", "`milestone` needs a date"),
    ("milestone-no-value", "set dau 150k milestone 2027-01-31", "`milestone` needs a number"),
    ("milestone-after-due", f"{PLANNED} milestone 2027-04-15 1k", "before the due date (2027"),
    ("milestones-same-day", f"{PLANNED} milestone 2027-02-01 1k milestone 2027-02-01 2k", "one"),
    ("milestone-before-start", "set dau 1k from 1 on 2027-01-01 milestone 2026-12-01 9", "after"),
]


@pytest.mark.parametrize(
    ("text", "fragment"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_plan_refusals_say_what_is_wrong_with_an_example_that_parses(
    text: str, fragment: str
) -> None:
    """A refused plan raises UsageError with a clear message and a corrected example that
    itself parses into a goal."""
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert fragment in error_text(caught.value)
    assert_inert(error_text(caught.value))
    assert caught.value.example is not None
    assert isinstance(parse(as_typed(caught.value.example)), SetGoal)


def test_an_unknown_word_lists_the_plan_words() -> None:
    """The refusal of a word after the target names the plan words too."""
    with pytest.raises(UsageError) as caught:
        parse("set dau 150k stretchy 200k")
    assert "`stretch 800M`" in error_text(caught.value)
    assert "`milestone YYYY-MM-DD 120k`" in error_text(caught.value)


WORDS = [
    "stretch", "from", "on", "pace", "milestone", "linear", "front-loaded", "by", "higher",
    "lower", "either", "150k", "100k", "0", "-5", "35%", "¥520", "2027-03-31", "2027-01-01",
    "2026-11-24", "2027-02-30", "x",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["dau", "complaint_rate", "next_day_retention", "aov", "nps"]),
    st.sampled_from(["150k", "2%", "100%", "¥520", "5", "35%"]),
    st.lists(st.sampled_from(WORDS), max_size=10),
)
def test_plan_word_soup_parses_or_is_refused_with_a_working_example(
    key: str, target: str, words: list[str]
) -> None:
    """Plan words in any order parse, or are refused cleanly with an example that parses."""
    assert parse_outcome(" ".join(["set", key, target, *words])) in ("parsed", "refused")
