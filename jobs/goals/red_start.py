"""What a refused red start says: a target that would start the goal in red (and page the CEO)
asked for by someone without the right to set it (the check is in jobs/goals/service.py).

One whole sentence for each way the people who may set it can be named: with or without a
channel lead, with or without the goal's owner or lead.
"""

from __future__ import annotations

from datetime import date

from jobs.errors import Code, CommandLine, PermissionDeniedError, Person, joined, phrase
from jobs.i18n import N_, _
from jobs.metrics.catalog import Metric
from jobs.metrics.quantities import format_metric_value
from jobs.reader_days import weekday_date

# Keyed by (a channel lead is set, the goal has an owner or lead).
_SENTENCES = {
    (True, True): N_(
        "The latest {key} value is {value} ({day}). A target of {target} would start this goal "
        "in red and page the CEO, so only the channel lead ({lead}), the goal's owner or lead "
        "({people}) or a workspace admin can set it."
    ),
    (True, False): N_(
        "The latest {key} value is {value} ({day}). A target of {target} would start this goal "
        "in red and page the CEO, so only the channel lead ({lead}) or a workspace admin can "
        "set it."
    ),
    (False, True): N_(
        "The latest {key} value is {value} ({day}). A target of {target} would start this goal "
        "in red and page the CEO, so only the channel lead (none is set), the goal's owner or "
        "lead ({people}) or a workspace admin can set it."
    ),
    (False, False): N_(
        "The latest {key} value is {value} ({day}). A target of {target} would start this goal "
        "in red and page the CEO, so only the channel lead (none is set) or a workspace admin "
        "can set it."
    ),
}


def red_start_refusal(
    metric: Metric,
    *,
    day: date,
    value: float,
    target: float,
    lead: str | None,
    people: list[str],
) -> PermissionDeniedError:
    """The refusal, with the latest value (as the command writes it) as the example's target."""
    shown = format_metric_value(metric, value)
    return PermissionDeniedError(
        *phrase(
            _(_SENTENCES[bool(lead), bool(people)]),
            key=Code(metric.key),
            value=shown,
            day=weekday_date(day),
            target=format_metric_value(metric, target),
            lead=Person(lead) if lead else "",
            people=joined(Person(p) for p in people),
        ),
        example=CommandLine("set", metric.key, shown),
    )
