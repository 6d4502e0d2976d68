"""The plan words of `/goal set`: `stretch 800M`, `from 100k [on YYYY-MM-DD]`, `pace
front-loaded`, `milestone YYYY-MM-DD 120k` (repeatable). Pure; `today` passed in.

Each reader takes its words off the front of `rest` and stores what it read in `fields` (the
GoalChange's keyword arguments); mistakes raise UsageError with a corrected example that parses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from typing import cast

from bot.commands.words import once
from bot.render.text import quoted
from jobs.errors import CommandLine, GoalpulseError, UsageError
from jobs.goals.goal_plan import (
    PlanFields,
    example_start,
    example_stretch,
    plan_example,
    plan_problem,
)
from jobs.goals.plan import PACES, Milestone
from jobs.i18n import _
from jobs.metrics.catalog import Metric
from jobs.metrics.quantities import format_metric_value, parse_quantity, reading_for, target_for
from storage.models import Direction

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# What the words after the target may be, for the refusal of a word that is none of them
# (command words: not translated).
PLAN_HINT = (
    "`stretch 800M`, `from 100k` (`on YYYY-MM-DD`), `pace front-loaded`, "
    "`milestone YYYY-MM-DD 120k`"
)


class PlanWords:
    """Reads the plan words of one `/goal set` on `metric`, whose target was typed as
    `target_text`; `fields` are the GoalChange's keyword arguments read so far."""

    def __init__(self, metric: Metric, target: float, target_text: str, today: date) -> None:
        self.metric = metric
        self.target = target
        self.target_text = target_text
        self.today = today
        self.milestones: list[Milestone] = []

    def read(self, word: str, rest: list[str], fields: dict[str, object]) -> bool:
        """Read `word` (and what follows it) if it is a plan word; False when it is not."""
        reader = _READERS.get(word.lower())
        if reader is None:
            return False
        reader(self, word, rest, fields)
        return True

    def check(self, fields: dict[str, object]) -> None:
        """Add the milestones to `fields`, and refuse plan settings that cannot be stored (as
        far as this command alone tells: a stored due date is checked when the goal is set)."""
        if self.milestones:
            fields["milestones"] = tuple(sorted(self.milestones, key=lambda m: m.day))
        given = PlanFields(
            target=self.target,
            direction=self._direction(fields),
            due=cast(date | None, fields.get("due_date")),
            start_value=cast(float | None, fields.get("start_value")),
            start_day=cast(date | None, fields.get("start_date")),
            pace=cast(str | None, fields.get("pace")),
            milestones=cast(tuple[Milestone, ...], fields.get("milestones", ())),
            stretch=cast(float | None, fields.get("stretch")),
        )
        shown = functools.partial(format_metric_value, self.metric)
        problem = plan_problem(given, due_known=False, shown=shown)
        if problem is not None:
            raise UsageError(*problem, example=self._fixed(fields))

    def example(self, fields: dict[str, object], *extra: str, plan: bool = False) -> CommandLine:
        """A `set` that parses, in the direction typed, then `extra`: with a plan (due date and
        start) when `plan` or a plan word was read, else just the target."""
        direction = self._direction(fields)
        typed = (direction,) if "direction" in fields else ()
        if not (plan or self.milestones or {"start_value", "pace"} & fields.keys()):
            return CommandLine("set", self.metric.key, self.target_text, *typed, *extra)
        start = example_start(self.metric, target=self.target, direction=direction)
        words = plan_example(self.metric, self.target_text, start=start, today=self.today).words
        return CommandLine(*words, *typed, *extra)

    def _fixed(self, fields: dict[str, object]) -> CommandLine:
        """The example for refused plan settings, with a stretch on the right side if one was
        given (and there is room for one)."""
        direction = self._direction(fields)
        stretch = example_stretch(self.metric, target=self.target, direction=direction)
        if "stretch" not in fields or stretch is None:
            return self.example(fields)
        return self.example(fields, "stretch", format_metric_value(self.metric, stretch))

    def _direction(self, fields: dict[str, object]) -> str:
        typed = fields.get("direction")
        return typed.value if isinstance(typed, Direction) else self.metric.direction

    def _number(
        self, token: str | None, word: str, fields: dict[str, object], *, floor: bool
    ) -> float:
        """The number after `word` in the metric's scale; never 0 when it is a `floor` (a
        target), any reading otherwise."""
        example = self.example(fields, plan=not floor)
        quantity = parse_quantity(token) if token is not None else None
        if quantity is None:
            message = (
                _("`{word}` needs a number, but got {got}.").format(
                    word=word.lower(), got=quoted(token)
                )
                if token is not None
                else _("`{word}` needs a number, but got nothing.").format(word=word.lower())
            )
            raise UsageError(message, example=example)
        try:
            return (
                target_for(self.metric, quantity) if floor else reading_for(self.metric, quantity)
            )
        except GoalpulseError as exc:
            raise UsageError(*exc.parts, example=example) from None

    def _day(self, token: str | None, word: str, fields: dict[str, object]) -> date:
        """The YYYY-MM-DD date after `word`."""
        try:
            if token is None or not _ISO_DATE.fullmatch(token):
                raise ValueError(token)
            return date.fromisoformat(token)
        except ValueError:
            message = (
                _("`{word}` needs a date written YYYY-MM-DD, but got {got}.").format(
                    word=word.lower(), got=quoted(token)
                )
                if token is not None
                else _("`{word}` needs a date written YYYY-MM-DD, but got nothing.").format(
                    word=word.lower()
                )
            )
            raise UsageError(message, example=self.example(fields, plan=True)) from None

    def _stretch(self, word: str, rest: list[str], fields: dict[str, object]) -> None:
        once(fields, "stretch", word, self.example(fields))
        fields["stretch"] = self._number(_next(rest), word, fields, floor=True)

    def _start(self, word: str, rest: list[str], fields: dict[str, object]) -> None:
        """`from 100k` starts today; `from 100k on 2027-01-01` on that day."""
        once(fields, "start_value", word, self.example(fields, plan=True))
        fields["start_value"] = self._number(_next(rest), word, fields, floor=False)
        fields["start_date"] = self.today
        if rest and rest[0].lower() == "on":
            on = rest.pop(0)
            fields["start_date"] = self._day(_next(rest), on, fields)

    def _pace(self, word: str, rest: list[str], fields: dict[str, object]) -> None:
        once(fields, "pace", word, self.example(fields, plan=True))
        token = _next(rest)
        if token is None or token.lower() not in PACES:
            message = (
                _("`pace` is `linear` or `front-loaded`, but got {got}.").format(got=quoted(token))
                if token is not None
                else _("`pace` is `linear` or `front-loaded`, but got nothing.")
            )
            raise UsageError(
                message,
                example=self.example(fields, "pace", "front-loaded", plan=True),
            )
        fields["pace"] = token.lower()

    def _milestone(self, word: str, rest: list[str], fields: dict[str, object]) -> None:
        """`milestone 2027-01-31 120k`; any number of them."""
        day = self._day(_next(rest), word, fields)
        value = self._number(_next(rest), word, fields, floor=False)
        self.milestones.append(Milestone(day=day, value=value))


def _next(rest: list[str]) -> str | None:
    return rest.pop(0) if rest else None


_Reader = Callable[[PlanWords, str, list[str], dict[str, object]], None]
_READERS: dict[str, _Reader] = {
    "stretch": PlanWords._stretch,
    "from": PlanWords._start,
    "pace": PlanWords._pace,
    "milestone": PlanWords._milestone,
}
