"""`/goal` text → a typed command. Pure: no I/O, `today` passed in.

Every refusal is a UsageError (or NotFoundError) that says what was wrong and shows a
corrected example built from what the user typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.commands.parse_cadence import parse_cadence
from bot.commands.parse_checkin import checkin_note, not_manual
from bot.commands.parse_config import parse_config
from bot.commands.parse_guard import GuardGoal, UnguardGoal, guard_reader, unguard_reader
from bot.commands.plan_words import PLAN_HINT, PlanWords
from bot.commands.words import due_date, no_more, once, subcommand_word, user_mention
from bot.constants import MAX_COMMAND_LENGTH, SLASH_COMMAND
from bot.render.text import quoted
from jobs.checkins.cadence import Cadence
from jobs.errors import CommandLine, NotFoundError, UsageError
from jobs.goals.channel_settings import ConfigChange
from jobs.goals.service import GoalChange, Thresholds, require_metric
from jobs.i18n import _
from jobs.metrics.catalog import METRIC_KEY, MetricCatalog
from jobs.metrics.quantities import (
    example_target,
    fraction_of_percent,
    parse_quantity,
    reading_for,
    target_for,
)
from storage.models import Direction

_TOKEN = re.compile(r"<[^>\s]*>|<[^>]*>|\S+")


@dataclass(frozen=True)
class ShowHelp:
    """`/goal` or `/goal help`."""


@dataclass(frozen=True)
class OpenGoalModal:
    """`/goal set` with nothing after it."""


@dataclass(frozen=True)
class SetGoal:
    """`/goal set <metric> <target> …`."""

    change: GoalChange


@dataclass(frozen=True)
class ListGoals:
    """`/goal list`."""


@dataclass(frozen=True)
class ShowGoal:
    """`/goal show <metric>`."""

    metric_key: str


@dataclass(frozen=True)
class SetThresholds:
    """`/goal thresholds <metric> <y> <o> <r>`."""

    metric_key: str
    thresholds: Thresholds


@dataclass(frozen=True)
class PauseGoal:
    """`/goal pause <metric>`."""

    metric_key: str


@dataclass(frozen=True)
class ResumeGoal:
    """`/goal resume <metric>`."""

    metric_key: str


@dataclass(frozen=True)
class RemoveGoal:
    """`/goal remove <metric>`."""

    metric_key: str


@dataclass(frozen=True)
class CheckIn:
    """`/goal checkin <metric> <value> [note]` for a manual metric."""

    metric_key: str
    value: float
    note: str | None = None


@dataclass(frozen=True)
class PostDigest:
    """`/goal digest [preview]`."""

    preview: bool


@dataclass(frozen=True)
class SetCheckins:
    """`/goal checkins <metric> <how often>`; a cadence of None (`off`) stops asking."""

    metric_key: str
    cadence: Cadence | None


@dataclass(frozen=True)
class Configure:
    """`/goal config …`; an empty change shows the current settings."""

    change: ConfigChange


Command = (
    ShowHelp
    | OpenGoalModal
    | SetGoal
    | ListGoals
    | ShowGoal
    | SetThresholds
    | PauseGoal
    | ResumeGoal
    | RemoveGoal
    | Configure
    | CheckIn
    | PostDigest
    | SetCheckins
    | GuardGoal
    | UnguardGoal
)

DIRECTIONS = frozenset(direction.value for direction in Direction)

# Reads the words after a subcommand's name: (words, catalog, today) → the command.
_Reader = Callable[[list[str], MetricCatalog, date], Command]


def parse_command(text: str, *, catalog: MetricCatalog, today: date) -> Command:
    """Parse the text after `/goal`."""
    if len(text) > MAX_COMMAND_LENGTH:
        raise UsageError(
            _("That command is {length} characters long; the limit is {limit}.").format(
                length=len(text), limit=MAX_COMMAND_LENGTH
            ),
            example=_set_example(catalog),
        )
    tokens = _TOKEN.findall(text)
    if not tokens:
        return ShowHelp()
    read = _READERS.get(subcommand_word(tokens[0]))
    if read is None:
        raise UsageError(
            _("{word} is not a {command} command. Try one of: {commands}.").format(
                word=quoted(tokens[0]), command=SLASH_COMMAND, commands=", ".join(SUBCOMMANDS)
            ),
            example=CommandLine("help"),
        )
    return read(tokens[1:], catalog, today)


# --- Readers, one per subcommand -------------------------------------------------------------


def _help(args: list[str], catalog: MetricCatalog, today: date) -> ShowHelp:
    """`help`, whatever follows it."""
    return ShowHelp()


def _list(args: list[str], catalog: MetricCatalog, today: date) -> ListGoals:
    no_more(args, CommandLine("list"))
    return ListGoals()


def _set(args: list[str], catalog: MetricCatalog, today: date) -> SetGoal | OpenGoalModal:
    """`set` alone opens the goal form."""
    return _parse_set(args, catalog, today) if args else OpenGoalModal()


def _config(args: list[str], catalog: MetricCatalog, today: date) -> Configure:
    return Configure(parse_config(args))


def _digest(args: list[str], catalog: MetricCatalog, today: date) -> PostDigest:
    """`digest` posts it; `digest preview` only shows it."""
    preview = bool(args) and args[0].lower() == "preview"
    no_more(args[1:] if preview else args, CommandLine("digest", "preview"))
    return PostDigest(preview=preview)


def _about_one_metric(
    name: str, kind: type[ShowGoal | PauseGoal | ResumeGoal | RemoveGoal]
) -> _Reader:
    """The reader of `<name> <metric>`, a command about one metric and nothing else."""

    def read(args: list[str], catalog: MetricCatalog, today: date) -> Command:
        return kind(_one_metric(name, args, catalog))

    return read


def _metric_key(token: str | None, catalog: MetricCatalog, example: CommandLine) -> str:
    if token is None:
        raise UsageError(_("Name the metric (a key from metrics.yml)."), example=example)
    key = token.lower()
    if not METRIC_KEY.fullmatch(key):
        raise UsageError(
            _("{word} is not a metric key; keys look like `dau` or `next_day_retention`.").format(
                word=quoted(token)
            ),
            example=example,
        )
    try:
        require_metric(catalog, key)
    except NotFoundError as exc:
        # Show the command the person was typing, with a metric that exists.
        raise NotFoundError(*exc.parts, example=example) from None
    return key


def _one_metric(name: str, args: list[str], catalog: MetricCatalog) -> str:
    example = CommandLine(name, _first_key(catalog))
    key = _metric_key(args[0] if args else None, catalog, example)
    no_more(args[1:], CommandLine(name, key))
    return key


def _set_example(catalog: MetricCatalog, key: str | None = None) -> CommandLine:
    """A `/goal set` that parses, for `key` or else the catalog's first metric."""
    key = key or _first_key(catalog)
    metric = catalog.get(key)
    target = example_target(metric) if metric is not None else "150k"
    return CommandLine("set", key, target, "owner", "@ana")


def _parse_set(args: list[str], catalog: MetricCatalog, today: date) -> SetGoal:
    key = _metric_key(args[0], catalog, _set_example(catalog))
    metric = require_metric(catalog, key)
    example = _set_example(catalog, key)
    if len(args) < 2:
        raise UsageError(_("Give a target for `{key}`.").format(key=key), example=example)
    quantity = parse_quantity(args[1])
    if quantity is None:
        template = (
            _(
                "{word} is not a number. Targets look like 150000, 150k, 1.2M, 30% or 520 "
                "(without commas)."
            )
            if "," in args[1]
            else _("{word} is not a number. Targets look like 150000, 150k, 1.2M, 30% or 520.")
        )
        raise UsageError(template.format(word=quoted(args[1])), example=example)
    target = target_for(metric, quantity)
    fields: dict[str, object] = {}
    plan = PlanWords(metric, target, args[1], today)
    rest = args[2:]
    while rest:
        word = rest.pop(0)
        lowered = word.lower()
        if plan.read(word, rest, fields):
            continue
        if lowered in DIRECTIONS:
            if "direction" in fields:
                raise UsageError(
                    _(
                        "The direction is given twice ({first}, then {word}); give one of "
                        "`higher`, `lower` or `either`."
                    ).format(first=f"`{fields['direction']}`", word=quoted(word)),
                    example=example,
                )
            fields["direction"] = Direction(lowered)
        elif lowered == "by":
            once(fields, "due_date", word, example)
            fields["due_date"] = due_date(rest.pop(0) if rest else None, today, example)
        elif lowered in ("owner", "lead"):
            once(fields, f"{lowered}_id", word, example)
            fields[f"{lowered}_id"] = user_mention(rest.pop(0) if rest else None, lowered, example)
        else:
            raise UsageError(
                _(
                    "I don't understand {word} here. After the target you can add `higher`, "
                    "`lower` or `either`, `by YYYY-MM-DD`, `owner @user`, `lead @user`, {plan}."
                ).format(word=quoted(word), plan=PLAN_HINT),
                example=example,
            )
    plan.check(fields)
    return SetGoal(GoalChange(metric_key=key, target=target, **fields))  # type: ignore[arg-type]


def _parse_thresholds(args: list[str], catalog: MetricCatalog, today: date) -> SetThresholds:
    example = CommandLine("thresholds", _first_key(catalog), "10%", "20%", "30%")
    key = _metric_key(args[0] if args else None, catalog, example)
    example = CommandLine("thresholds", key, "10%", "20%", "30%")
    numbers = args[1:]
    if len(numbers) != 3:
        raise UsageError(
            _("Give three percentages: yellow, orange and red (each larger than the last)."),
            example=example,
        )
    values = []
    for token in numbers:
        quantity = parse_quantity(token)
        if quantity is None or quantity.currency or not 0 < quantity.value < 1000:
            raise UsageError(
                _("{word} is not a percentage above 0 and below 1000.").format(word=quoted(token)),
                example=example,
            )
        values.append(fraction_of_percent(quantity.value))
    if not values[0] < values[1] < values[2]:
        raise UsageError(
            _(
                "Thresholds must be positive and increasing: yellow, then a larger orange, "
                "then a larger red."
            ),
            example=example,
        )
    return SetThresholds(key, Thresholds(*values))


def _parse_checkin(args: list[str], catalog: MetricCatalog, today: date) -> CheckIn:
    manual = [m.key for m in catalog if m.source is not None and m.source.kind == "manual"]
    first = manual[0] if manual else _first_key(catalog)
    example = CommandLine("checkin", first, "42", "after", "the", "March", "survey")
    key = _metric_key(args[0] if args else None, catalog, example)
    metric = require_metric(catalog, key)
    example = CommandLine("checkin", key, example_target(metric))
    if metric.source is None or metric.source.kind != "manual":
        raise not_manual(metric, manual, example=CommandLine("checkin", first, "42"))
    if len(args) < 2:
        raise UsageError(_("Give today's value for `{key}`.").format(key=key), example=example)
    quantity = parse_quantity(args[1])
    if quantity is None:
        raise UsageError(_("{word} is not a number.").format(word=quoted(args[1])), example=example)
    note = checkin_note(args[2:], example)
    return CheckIn(metric_key=key, value=reading_for(metric, quantity), note=note)


def _parse_checkins(args: list[str], catalog: MetricCatalog, today: date) -> SetCheckins:
    example = CommandLine("checkins", _first_key(catalog), "weekly", "mon", "10:00")
    key = _metric_key(args[0] if args else None, catalog, example)
    return SetCheckins(key, parse_cadence(args[1:], metric_key=key, today=today))


def _first_key(catalog: MetricCatalog) -> str:
    return catalog.keys[0] if catalog.keys else "dau"


_READERS: dict[str, _Reader] = {
    "set": _set,
    "list": _list,
    "show": _about_one_metric("show", ShowGoal),
    "checkin": _parse_checkin,
    "checkins": _parse_checkins,
    "thresholds": _parse_thresholds,
    "pause": _about_one_metric("pause", PauseGoal),
    "resume": _about_one_metric("resume", ResumeGoal),
    "remove": _about_one_metric("remove", RemoveGoal),
    "digest": _digest,
    "guard": guard_reader(_metric_key),
    "unguard": unguard_reader(_metric_key),
    "config": _config,
    "help": _help,
}
# Every subcommand, in the order a refusal of an unknown one lists them.
SUBCOMMANDS = tuple(_READERS)
