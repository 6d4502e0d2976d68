"""`/goal guard` and `/goal unguard` words → typed commands. Pure: no I/O.

`guard <metric> with <guard metric> [10%]` holds a goal to a metric that must not get worse
while it is pursued; `unguard <metric> <guard metric>` lets it go. Refusals are UsageErrors
(or NotFoundErrors) with a corrected example built from what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.commands.words import no_more
from bot.render.text import quoted
from jobs.errors import CommandLine, UsageError
from jobs.evaluation.guardrails import DEFAULT_GUARD_THRESHOLD
from jobs.i18n import _
from jobs.metrics.catalog import MetricCatalog
from jobs.metrics.quantities import fraction_of_percent, parse_quantity

# Reads a metric key: (the typed word or None, catalog, example) → the key, or raises.
KeyReader = Callable[[str | None, MetricCatalog, CommandLine], str]


@dataclass(frozen=True)
class GuardGoal:
    """`/goal guard <metric> with <guard metric> [threshold]`; None: the default threshold."""

    metric_key: str
    guard_metric: str
    threshold: float | None = None


@dataclass(frozen=True)
class UnguardGoal:
    """`/goal unguard <metric> <guard metric>`."""

    metric_key: str
    guard_metric: str


def guard_reader(
    metric_key: KeyReader,
) -> Callable[[list[str], MetricCatalog, date], GuardGoal]:
    """The reader of `guard …`, checking metric keys with `metric_key`."""

    def read(args: list[str], catalog: MetricCatalog, today: date) -> GuardGoal:
        first = catalog.keys[0] if catalog.keys else "gmv"
        key = metric_key(args[0] if args else None, catalog, guard_example(catalog, first))
        example = guard_example(catalog, key)
        rest = args[1:]
        if not rest or rest[0].lower() != "with":
            message = (
                _("Write `with` and the metric that must not get worse (got {word}).").format(
                    word=quoted(rest[0])
                )
                if rest
                else _("Write `with` and the metric that must not get worse (nothing follows).")
            )
            raise UsageError(message, example=example)
        guard = metric_key(rest[1] if len(rest) > 1 else None, catalog, example)
        _not_itself(key, guard, example)
        example = CommandLine("guard", key, "with", guard, _percent(DEFAULT_GUARD_THRESHOLD))
        threshold = _threshold(rest[2], example) if len(rest) > 2 else None
        no_more(rest[3:], example)
        return GuardGoal(metric_key=key, guard_metric=guard, threshold=threshold)

    return read


def unguard_reader(
    metric_key: KeyReader,
) -> Callable[[list[str], MetricCatalog, date], UnguardGoal]:
    """The reader of `unguard <metric> [with] <guard metric>`."""

    def read(args: list[str], catalog: MetricCatalog, today: date) -> UnguardGoal:
        first = catalog.keys[0] if catalog.keys else "gmv"
        key = metric_key(args[0] if args else None, catalog, unguard_example(catalog, first))
        example = unguard_example(catalog, key)
        rest = args[1:]
        if rest and rest[0].lower() == "with":
            rest = rest[1:]
        guard = metric_key(rest[0] if rest else None, catalog, example)
        _not_itself(key, guard, example)
        no_more(rest[1:], CommandLine("unguard", key, guard))
        return UnguardGoal(metric_key=key, guard_metric=guard)

    return read


def guard_example(catalog: MetricCatalog, key: str) -> CommandLine:
    """A `guard` command that parses, guarding `key` with another metric of the catalog."""
    return CommandLine(
        "guard", key, "with", _other_key(catalog, key), _percent(DEFAULT_GUARD_THRESHOLD)
    )


def unguard_example(catalog: MetricCatalog, key: str) -> CommandLine:
    """An `unguard` command that parses."""
    return CommandLine("unguard", key, _other_key(catalog, key))


def _other_key(catalog: MetricCatalog, key: str) -> str:
    """A metric other than `key`, for examples; a lower-is-better one when there is one."""
    others = [metric for metric in catalog if metric.key != key]
    lower = [metric for metric in others if metric.direction == "lower"]
    chosen = (lower or others)[:1]
    return chosen[0].key if chosen else "complaint_rate"


def _not_itself(key: str, guard: str, example: CommandLine) -> None:
    if key == guard:
        raise UsageError(
            _(
                "`{key}` cannot guard its own goal: name another metric that must not get worse."
            ).format(key=key),
            example=example,
        )


def _threshold(token: str, example: CommandLine) -> float:
    """`10%` (or `10`) → 0.1: how much worse the guard metric may get before it breaches."""
    quantity = parse_quantity(token)
    if quantity is None or quantity.currency or not 0 < quantity.value < 1000:
        raise UsageError(
            _(
                "{word} is not a percentage above 0 and below 1000: say how much worse the guard "
                "metric may get, e.g. `10%`."
            ).format(word=quoted(token)),
            example=example,
        )
    return fraction_of_percent(quantity.value)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"
