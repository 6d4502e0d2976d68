"""`/goal checkins <metric> <how often>` → SetCheckins: every form, every refusal."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.parse import SetCheckins, parse_command
from bot.render.text import command_text, error_text
from jobs.checkins.cadence import Cadence
from jobs.errors import GoalpulseError, NotFoundError, UsageError
from jobs.metrics.catalog import load_catalog

TODAY = date(2026, 11, 25)  # a Wednesday
CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")
INERT = re.compile(r"(?:[^<>&]|&(?:amp|lt|gt);)*", re.DOTALL)


def parse(text: str) -> object:
    return parse_command(text, catalog=CATALOG, today=TODAY)


def typed(error: GoalpulseError) -> str:
    """The refusal's example as a person would type it after `/goal`."""
    assert error.example is not None, error_text(error)
    return command_text(error.example).removeprefix("/goal").strip()


VALID = [
    pytest.param("checkins aov daily 09:30", Cadence("day", time(9, 30)), id="daily"),
    pytest.param("checkins aov daily 9:05", Cadence("day", time(9, 5)), id="daily-one-digit-hour"),
    pytest.param("checkins aov every day 07:00", Cadence("day", time(7)), id="every-day"),
    pytest.param(
        "checkins aov weekly mon 10:00", Cadence("week", time(10), weekday=0), id="weekly"
    ),
    pytest.param(
        "CHECKINS AOV Weekly Friday 17:45",
        Cadence("week", time(17, 45), weekday=4),
        id="weekly-full-day-name-any-case",
    ),
    pytest.param(
        "checkins aov every week sun 08:00",
        Cadence("week", time(8), weekday=6),
        id="every-week",
    ),
    pytest.param(
        "checkins aov every 1 week tue 10:00",
        Cadence("week", time(10), weekday=1),
        id="every-1-week-is-weekly",
    ),
    pytest.param(
        "checkins aov every 2 weeks mon 10:00",
        Cadence("week", time(10), weekday=0, weeks=2, anchor=date(2026, 11, 30)),
        id="every-2-weeks-from-next-monday",
    ),
    pytest.param(
        "checkins aov every 2 weeks wed 10:00",
        Cadence("week", time(10), weekday=2, weeks=2, anchor=TODAY),
        id="every-2-weeks-from-today",
    ),
    pytest.param(
        "checkins nps every 12 weeks thursday 23:59",
        Cadence("week", time(23, 59), weekday=3, weeks=12, anchor=date(2026, 11, 26)),
        id="every-12-weeks",
    ),
    pytest.param("checkins dau off", None, id="off"),
    pytest.param("checkins dau OFF", None, id="off-any-case"),
]


@pytest.mark.parametrize(("text", "cadence"), VALID)
def test_cadences_parse(text: str, cadence: Cadence | None) -> None:
    """Each form gives the metric and the cadence the owner will be asked on."""
    parsed = parse(text)
    assert isinstance(parsed, SetCheckins)
    assert parsed.metric_key == text.split()[1].lower()
    assert parsed.cadence == cadence


DESCRIBED = [
    pytest.param("daily 09:30", "every day at 09:30", id="daily"),
    pytest.param("weekly mon 10:00", "every Monday at 10:00", id="weekly"),
    pytest.param("every 2 weeks fri 9:00", "every 2 weeks on Friday at 09:00", id="fortnightly"),
]


@pytest.mark.parametrize(("words", "described"), DESCRIBED)
def test_a_parsed_cadence_reads_back_as_typed(words: str, described: str) -> None:
    """What the reply will say is what was typed, in words."""
    parsed = parse(f"checkins aov {words}")
    assert isinstance(parsed, SetCheckins)
    assert parsed.cadence is not None
    assert parsed.cadence.describe() == described


def test_every_two_weeks_asks_first_on_the_next_chosen_day() -> None:
    """Set on a Wednesday, `every 2 weeks mon` asks the coming Monday, then every other one."""
    parsed = parse("checkins aov every 2 weeks mon 10:00")
    assert isinstance(parsed, SetCheckins)
    assert parsed.cadence is not None
    mondays = [date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14), date(2026, 12, 21)]
    assert [parsed.cadence.falls_on(day) for day in mondays] == [True, False, True, False]


REFUSED = [
    pytest.param("checkins", UsageError, "Name the metric", id="no-metric"),
    pytest.param("checkins gmv weekly mon 10:00", NotFoundError, "gmv", id="unknown-metric"),
    pytest.param("checkins aov", UsageError, "Say how often", id="no-cadence"),
    pytest.param("checkins aov hourly 10:00", UsageError, "`hourly` is not how often", id="hourly"),
    pytest.param("checkins aov daily", UsageError, "Give the time of day", id="daily-no-time"),
    pytest.param(
        "checkins aov daily 25:00", UsageError, "`25:00` is not a time of day", id="hour-25"
    ),
    pytest.param(
        "checkins aov daily 9am", UsageError, "`9am` is not a time of day", id="am-pm-time"
    ),
    pytest.param(
        "checkins aov weekly monnday 10:00",
        UsageError,
        "`monnday` is not a day of the week",
        id="misspelt-day",
    ),
    pytest.param("checkins aov weekly", UsageError, "Name the day of the week", id="weekly-no-day"),
    pytest.param("checkins aov weekly mon", UsageError, "Give the time", id="weekly-no-time"),
    pytest.param(
        "checkins aov weekly 10:00 mon",
        UsageError,
        "`10:00` is not a day of the week",
        id="time-before-day",
    ),
    pytest.param("checkins aov every", UsageError, "needs how many weeks", id="every-alone"),
    pytest.param(
        "checkins aov every 13 weeks mon 10:00",
        UsageError,
        "`13` is not a number of weeks from 1 to 12",
        id="13-weeks",
    ),
    pytest.param(
        "checkins aov every 0 weeks mon 10:00",
        UsageError,
        "`0` is not a number of weeks",
        id="0-weeks",
    ),
    pytest.param(
        "checkins aov every two weeks mon 10:00",
        UsageError,
        "`two` is not a number of weeks",
        id="weeks-in-words",
    ),
    pytest.param(
        "checkins aov every 2 mon 10:00",
        UsageError,
        "After `every 2` comes `weeks`, not `mon`",
        id="every-2-without-weeks",
    ),
    pytest.param(
        "checkins aov every 2 weeks", UsageError, "Name the day", id="every-2-weeks-no-day"
    ),
    pytest.param(
        "checkins aov every 2 weeks mon 10:60",
        UsageError,
        "`10:60` is not a time of day",
        id="minute-60",
    ),
    pytest.param("checkins aov off now", UsageError, "Unexpected `now`", id="off-then-more"),
    pytest.param(
        "checkins aov daily 09:30 please", UsageError, "Unexpected `please`", id="daily-then-more"
    ),
    pytest.param(
        "checkins aov weekly mon 10:00 <!channel>",
        UsageError,
        "&lt;!channel&gt;",
        id="broadcast-escaped",
    ),
]


@pytest.mark.parametrize(("text", "error", "fragment"), REFUSED)
def test_refusals_say_what_is_wrong_with_an_example_that_works(
    text: str, error: type[GoalpulseError], fragment: str
) -> None:
    """A bad word is named, the message is inert mrkdwn, and the corrected example parses."""
    with pytest.raises(GoalpulseError) as caught:
        parse(text)
    assert type(caught.value) is error
    message = error_text(caught.value)
    assert fragment in message
    assert INERT.fullmatch(message), message
    assert isinstance(parse(typed(caught.value)), SetCheckins)


EXAMPLES = [
    pytest.param("checkins aov daily 25:00", "checkins aov daily 09:30", id="bad-time"),
    pytest.param(
        "checkins aov weekly fri 9am", "checkins aov weekly fri 10:00", id="bad-time-keeps-day"
    ),
    pytest.param(
        "checkins aov every 3 weeks thurs 10:00",
        "checkins aov every 3 weeks mon 10:00",
        id="bad-day-keeps-weeks",
    ),
    pytest.param(
        "checkins aov weekly tue 8:15 sharp", "checkins aov weekly tue 08:15", id="extra-word"
    ),
    pytest.param("checkins aov off please", "checkins aov off", id="off-extra-word"),
]


@pytest.mark.parametrize(("text", "example"), EXAMPLES)
def test_the_example_keeps_what_was_typed_right(text: str, example: str) -> None:
    """Only the wrong word is replaced in the example."""
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert typed(caught.value) == example


WORDS = st.sampled_from(
    [
        "daily", "weekly", "every", "day", "week", "weeks", "off", "mon", "monday", "Sun",
        "2", "12", "13", "0", "-1", "٣", "10:00", "9:5", "24:00", "23:59", "<!here>", "&",
    ]
)  # fmt: skip


def outcome(text: str) -> str:
    """ "parsed" for a SetCheckins; "refused" for a clean refusal (inert, with an example that
    parses); anything else fails."""
    refusal: GoalpulseError | None = None
    try:
        parsed = parse(text)
    except GoalpulseError as exc:  # any other exception fails the test
        refusal = exc
    if refusal is None:
        return "parsed" if isinstance(parsed, SetCheckins) else f"unexpected {parsed!r}"
    assert INERT.fullmatch(error_text(refusal))
    assert isinstance(parse(typed(refusal)), SetCheckins)
    return "refused"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(WORDS, st.text(min_size=1, max_size=8)), max_size=7))
def test_any_words_parse_or_are_refused_cleanly(words: list[str]) -> None:
    """Word soup after `checkins aov` gives a cadence or a clean, inert refusal, never a crash."""
    assert outcome(" ".join(["checkins", "aov", *words])) in ("parsed", "refused")
