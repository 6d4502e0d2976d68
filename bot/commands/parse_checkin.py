"""The refusals of `/goal checkin <metric> <value> [note]` beyond its metric and value. Pure."""

from __future__ import annotations

from jobs.errors import CommandLine, UsageError
from jobs.i18n import _
from jobs.metrics.catalog import Metric

MAX_NOTE_LENGTH = 300


def not_manual(metric: Metric, manual: list[str], *, example: CommandLine) -> UsageError:
    """The refusal of a check-in on a metric goalpulse computes or pulls; `manual` are the keys
    that take check-ins (`example` is shown only when there is one)."""
    if metric.formula:
        template = _(
            "`{key}` is computed from other metrics; check-ins are for metrics with "
            "{manual_source} ({manual})."
        )
    elif metric.measure is not None:
        template = _(
            "`{key}` is computed from the customer datasets; check-ins are for metrics with "
            "{manual_source} ({manual})."
        )
    else:
        template = _(
            "`{key}` is pulled from its source; check-ins are for metrics with "
            "{manual_source} ({manual})."
        )
    shown = _(", ").join(f"`{key}`" for key in manual) or _("none are defined")
    text = template.format(key=metric.key, manual_source="`source: {kind: manual}`", manual=shown)
    return UsageError(text, example=example if manual else None)


def checkin_note(words: list[str], example: CommandLine) -> str | None:
    """The words after the value as the check-in's note (None when there are none)."""
    note = " ".join(words).strip() or None
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise UsageError(
            _("The note is {length} characters; keep it under {limit}.").format(
                length=len(note), limit=MAX_NOTE_LENGTH
            ),
            example=example,
        )
    return note


__all__ = ["MAX_NOTE_LENGTH", "checkin_note", "not_manual"]
