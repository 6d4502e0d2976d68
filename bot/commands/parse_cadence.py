"""The words after `/goal checkins <metric>` → a Cadence, or None for `off`. Pure.

Grammar: `daily 09:30`, `weekly mon 10:00`, `every 2 weeks mon 10:00` (also `every day 09:30`,
`every week mon 10:00`) or `off`. Times are each owner's own local time. Every refusal is a
UsageError whose example keeps what was typed right and fixes the word that was wrong.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from bot.commands.words import no_more
from bot.render.text import quoted
from jobs.checkins.cadence import MAX_WEEKS, WEEKDAYS, Cadence, parse_clock
from jobs.errors import CommandLine, UsageError
from jobs.i18n import N_, _

# The command words are English in every language; only the `or` between them is translated.
_DAYS = N_("`mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`")
_FORMS = N_("`daily 09:30`, `weekly mon 10:00`, `every 2 weeks mon 10:00` or `off`")
_WEEK_WORDS = ("week", "weeks")
_DEFAULT_DAY, _DEFAULT_TIME = "mon", "10:00"


def parse_cadence(args: list[str], *, metric_key: str, today: date) -> Cadence | None:
    """The cadence the words describe; None for `off`. Every N weeks counts from the first
    chosen weekday on or after `today` (the deployment's date), so that day is the first asked."""
    words = [word.lower() for word in args]
    lead = ("checkins", metric_key)
    if not words:
        raise UsageError(
            _("Say how often to ask the owner: {forms}.").format(forms=_(_FORMS)),
            example=CommandLine(*lead, "weekly", _DEFAULT_DAY, _DEFAULT_TIME),
        )
    first = words[0]
    if first == "off":
        no_more(args[1:], CommandLine(*lead, "off"))
        return None
    if first == "daily":
        return Cadence("day", _clock(args, 1, CommandLine(*lead, "daily", "09:30")))
    if first == "weekly":
        return _weekly(args, 1, (*lead, "weekly"), weeks=1, today=today)
    if first == "every":
        return _every(args, lead, today)
    raise UsageError(
        _("{word} is not how often; use {forms}.").format(word=quoted(args[0]), forms=_(_FORMS)),
        example=CommandLine(*lead, "weekly", _DEFAULT_DAY, _DEFAULT_TIME),
    )


def _every(args: list[str], lead: tuple[str, ...], today: date) -> Cadence:
    """`every day HH:MM`, `every week <day> HH:MM` or `every N weeks <day> HH:MM`."""
    words = [word.lower() for word in args]
    unit = words[1] if len(words) > 1 else None
    if unit == "day":
        return Cadence("day", _clock(args, 2, CommandLine(*lead, "every", "day", "09:30")))
    if unit in _WEEK_WORDS:
        return _weekly(args, 2, (*lead, "every", "week"), weeks=1, today=today)
    example = CommandLine(*lead, "every", "2", "weeks", _DEFAULT_DAY, _DEFAULT_TIME)
    if unit is None:
        raise UsageError(_("`every` needs how many weeks, like `every 2 weeks`."), example=example)
    if not unit.isascii() or not unit.isdigit() or not 1 <= int(unit) <= MAX_WEEKS:
        raise UsageError(
            _("{word} is not a number of weeks from 1 to {most}.").format(
                word=quoted(args[1]), most=MAX_WEEKS
            ),
            example=example,
        )
    weeks = int(unit)
    if len(words) < 3 or words[2] not in _WEEK_WORDS:
        message = (
            _("After `every {weeks}` comes `weeks`, not {word}.").format(
                weeks=weeks, word=quoted(args[2])
            )
            if len(words) > 2
            else _("After `every {weeks}` comes `weeks`.").format(weeks=weeks)
        )
        raise UsageError(message, example=example)
    return _weekly(args, 3, (*lead, "every", str(weeks), "weeks"), weeks=weeks, today=today)


def _weekly(args: list[str], at: int, lead: tuple[str, ...], *, weeks: int, today: date) -> Cadence:
    """`<day> HH:MM` from args[at] on, every `weeks` weeks."""
    example = CommandLine(*lead, _DEFAULT_DAY, _DEFAULT_TIME)
    if len(args) <= at:
        raise UsageError(
            _("Name the day of the week: {days}.").format(days=_(_DAYS)), example=example
        )
    day = args[at].lower()
    weekday = WEEKDAYS.get(day)
    if weekday is None:
        raise UsageError(
            _("{word} is not a day of the week; use {days}.").format(
                word=quoted(args[at]), days=_(_DAYS)
            ),
            example=example,
        )
    at_time = _clock(args, at + 1, CommandLine(*lead, day, _DEFAULT_TIME))
    if weeks == 1:
        return Cadence("week", at_time, weekday=weekday)
    anchor = today + timedelta(days=(weekday - today.weekday()) % 7)
    return Cadence("week", at_time, weekday=weekday, weeks=weeks, anchor=anchor)


def _clock(args: list[str], at: int, example: CommandLine) -> time:
    """The time of day at args[at], the last word."""
    token = args[at] if len(args) > at else None
    if token is None:
        raise UsageError(
            _("Give the time of day as HH:MM (24-hour), in each owner's own time zone."),
            example=example,
        )
    try:
        clock = parse_clock(token)
    except ValueError:
        raise UsageError(
            _("{word} is not a time of day; write it as HH:MM (24-hour).").format(
                word=quoted(token)
            ),
            example=example,
        ) from None
    no_more(args[at + 1 :], CommandLine(*example.words[:-1], f"{clock:%H:%M}"))
    return clock
