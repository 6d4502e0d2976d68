"""The check-in form behind a prompt's *Check in* button: building it and reading a submission
(both pure).

A manual metric asks for its value; a pulled one shows the newest stored value, which the
submission confirms (it travels in private_metadata with the check-in id and the metric key).
Confidence is required; what moved it and blockers are optional notes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from bot.constants import CHECKIN_MODAL
from bot.errors import ModalInputError
from bot.render.block_kit import context_block, section_block
from bot.render.figures import metric_value, reader_day
from bot.render.goal_notes import CONFIDENCE_LABELS
from bot.render.text import error_text, escape_mrkdwn, unescape_slack
from bot.views.goal_modal import not_a_number
from jobs.errors import GoalpulseError, UsageError
from jobs.evaluation.policy import CONFIDENCES
from jobs.i18n import EN, _, current_locale
from jobs.metrics.catalog import Metric, MetricCatalog
from jobs.metrics.quantities import example_target, parse_quantity, reading_for

VALUE_BLOCK, VALUE_ACTION = "checkin_value", "checkin_value_input"
CONFIDENCE_BLOCK, CONFIDENCE_ACTION = "checkin_confidence", "checkin_confidence_pick"
MOVED_BLOCK, MOVED_ACTION = "checkin_moved", "checkin_moved_input"
BLOCKERS_BLOCK, BLOCKERS_ACTION = "checkin_blockers", "checkin_blockers_input"
# The stored notes' limit (storage/models.py Checkin.moved and .blockers).
MAX_NOTE = 1000
assert set(CONFIDENCE_LABELS) == set(CONFIDENCES), "a label for every confidence classify knows"


@dataclass(frozen=True)
class Latest:
    """The newest stored value of the metric and its day."""

    day: date
    value: float


@dataclass(frozen=True)
class CheckinForm:
    """What the form is about: the check-in, its metric and where the prompt stands."""

    checkin_id: int
    metric: Metric
    latest: Latest | None  # the newest stored value: confirmed for a pulled metric
    state: str  # the check-in's state (storage/models.py CheckinState)

    @property
    def manual(self) -> bool:
        """True when the owner types the value (`source: {kind: manual}`)."""
        source = self.metric.source
        return source is not None and source.kind == "manual"


@dataclass(frozen=True)
class CheckinAnswer:
    """A valid submission: the value (None when a pulled metric has none stored yet), the
    confidence (one of CONFIDENCES) and the optional notes."""

    checkin_id: int
    metric_key: str
    value: float | None
    confidence: str
    moved: str | None
    blockers: str | None


def shown_value(metric: Metric, latest: Latest) -> str:
    """`152k on 1 Dec` (zh-CN `15.2万（12月1日 周二）`)."""
    day = latest.day
    shown_day = f"{day.day} {day:%b}" if current_locale() == EN else reader_day(day)
    return _("{value} on {day}").format(value=metric_value(metric, latest.value), day=shown_day)


def checkin_modal(form: CheckinForm) -> View:
    """The form; private_metadata carries the check-in id, the metric key and, for a pulled
    metric, the value the owner confirms."""
    metric = form.metric
    confirmed = None if form.manual or form.latest is None else form.latest.value
    metadata = {"checkin_id": form.checkin_id, "metric_key": metric.key, "value": confirmed}
    blocks: list[Block] = [
        section_block(_("How is *{title}* going?").format(title=escape_mrkdwn(metric.title)))
    ]
    if form.state == "missed":
        blocks.append(context_block(_("This check-in was recorded missed; a late answer is kept.")))
    elif form.state == "answered":
        blocks.append(context_block(_("You already checked in; sending again replaces it.")))
    if form.manual:
        hint = _("Like {example}").format(example=example_target(metric))
        if form.latest is not None:
            hint = _("Like {example}. Last recorded: {last}").format(
                example=example_target(metric), last=shown_value(metric, form.latest)
            )
        blocks.append(
            InputBlock(
                block_id=VALUE_BLOCK,
                label=_("Current value"),
                hint=hint,
                element=PlainTextInputElement(action_id=VALUE_ACTION, max_length=20),
            )
        )
    elif form.latest is not None:
        blocks.append(
            context_block(_("Pulled: {value}").format(value=shown_value(metric, form.latest)))
        )
    else:
        blocks.append(context_block(_("Nothing pulled yet for this metric.")))
    blocks += [
        InputBlock(
            block_id=CONFIDENCE_BLOCK,
            label=_("How confident are you?"),
            element=RadioButtonsElement(
                action_id=CONFIDENCE_ACTION,
                options=[
                    Option(value=v, label=_(label).capitalize())
                    for v, label in CONFIDENCE_LABELS.items()
                ],
            ),
        ),
        _note(MOVED_BLOCK, MOVED_ACTION, _("What moved it?")),
        _note(BLOCKERS_BLOCK, BLOCKERS_ACTION, _("Blockers")),
    ]
    return View(
        type="modal",
        callback_id=CHECKIN_MODAL,
        title=_("Check in"),
        submit=_("Check in"),
        close=_("Cancel"),
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )


def _note(block_id: str, action_id: str, label: str) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        element=PlainTextInputElement(action_id=action_id, multiline=True, max_length=MAX_NOTE),
    )


def read_checkin_submission(view: dict[str, Any], *, catalog: MetricCatalog) -> CheckinAnswer:
    """The answer in a submitted form; ModalInputError names each bad field (nothing typed is
    lost: the form stays open), UsageError when the form itself is not one goalpulse built."""
    metadata = _metadata(view.get("private_metadata"))
    metric = catalog.get(metadata["metric_key"])
    if metric is None:
        raise UsageError(_("This form's metric is no longer in metrics.yml; nothing was recorded."))
    values = view.get("state", {}).get("values", {})

    def field(block: str, action: str) -> dict[str, Any]:
        return values.get(block, {}).get(action, {}) or {}

    errors: dict[str, str] = {}
    value: float | None = metadata["value"]
    if VALUE_BLOCK in values:
        raw = str(field(VALUE_BLOCK, VALUE_ACTION).get("value") or "").strip()
        value = None
        quantity = parse_quantity(raw) if raw else None
        if quantity is None:
            errors[VALUE_BLOCK] = (
                not_a_number(metric)
                if raw
                else _("Try {example} (also 150000, 1.2M, 30%).").format(
                    example=example_target(metric)
                )
            )
        else:
            try:
                value = reading_for(metric, quantity)
            except GoalpulseError as exc:
                # Modal errors are plain text: no code spans, no mrkdwn escapes.
                errors[VALUE_BLOCK] = unescape_slack(error_text(exc).replace("`", ""))
    picked = field(CONFIDENCE_BLOCK, CONFIDENCE_ACTION).get("selected_option") or {}
    confidence = picked.get("value")
    if confidence not in CONFIDENCE_LABELS:
        errors[CONFIDENCE_BLOCK] = _("Pick On track, At risk or Off track.")
    notes = {}
    for block, action in ((MOVED_BLOCK, MOVED_ACTION), (BLOCKERS_BLOCK, BLOCKERS_ACTION)):
        text = str(field(block, action).get("value") or "").strip()
        if len(text) > MAX_NOTE:
            errors[block] = _("Keep it under {limit} characters (this is {length}).").format(
                limit=MAX_NOTE, length=len(text)
            )
        notes[block] = text or None
    if errors:
        raise ModalInputError(errors)
    return CheckinAnswer(
        checkin_id=metadata["checkin_id"],
        metric_key=metric.key,
        value=value,
        confidence=str(confidence),
        moved=notes[MOVED_BLOCK],
        blockers=notes[BLOCKERS_BLOCK],
    )


def _metadata(raw: object) -> dict[str, Any]:
    """The form's private_metadata, checked; UsageError when it is not what checkin_modal wrote."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        data = None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("checkin_id"), int)
        or not isinstance(data.get("metric_key"), str)
        or not isinstance(data.get("value"), int | float | None)
        or isinstance(data.get("checkin_id"), bool)
    ):
        raise UsageError(_("That form is not one goalpulse knows; nothing was recorded."))
    return data
