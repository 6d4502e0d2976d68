"""The goal form behind a bare `/goal set`: building it and reading a submission (both pure)."""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import constants as ids
from bot.errors import ModalInputError
from bot.render.figures import metric_value
from bot.render.text import error_text, unescape_slack
from jobs.errors import GoalpulseError, UsageError
from jobs.goals.goal_plan import PlanFields, stretch_problem
from jobs.goals.service import GoalChange, require_metric
from jobs.i18n import N_, _
from jobs.metrics.catalog import Metric, MetricCatalog
from jobs.metrics.quantities import (
    example_target,
    parse_quantity,
    reading_for,
    target_for,
)
from storage.models import Direction

MAX_OPTIONS = 100
# The words for each direction in the form's list (the value sent back is the enum's).
DIRECTION_LABELS = {
    Direction.HIGHER: N_("higher"),
    Direction.LOWER: N_("lower"),
    Direction.EITHER: N_("either"),
}


def goal_modal(*, catalog: MetricCatalog, channel_id: str, user_id: str) -> View:
    """The form; the channel travels in private_metadata."""
    metric_options = [
        Option(value=metric.key, label=f"{metric.title[:60]} ({metric.key})"[:75])
        for metric in sorted(catalog, key=lambda m: m.key)[:MAX_OPTIONS]
    ]
    direction_options = [Option(value=d.value, label=_(DIRECTION_LABELS[d])) for d in Direction]
    return View(
        type="modal",
        callback_id=ids.GOAL_MODAL_CALLBACK,
        title=_("Set a goal"),
        submit=_("Save goal"),
        close=_("Cancel"),
        private_metadata=json.dumps({"channel_id": channel_id}),
        blocks=[
            InputBlock(
                block_id=ids.GOAL_MODAL_METRIC_BLOCK,
                label=_("Metric"),
                element=StaticSelectElement(
                    action_id=ids.GOAL_MODAL_METRIC_ACTION, options=metric_options
                ),
            ),
            InputBlock(
                block_id=ids.GOAL_MODAL_TARGET_BLOCK,
                label=_("Target"),
                hint=_("Like 150000, 150k, 1.2M or 35%"),
                element=PlainTextInputElement(
                    action_id=ids.GOAL_MODAL_TARGET_ACTION, placeholder="150k", max_length=20
                ),
            ),
            InputBlock(
                block_id=ids.GOAL_MODAL_DIRECTION_BLOCK,
                label=_("Which way is good"),
                optional=True,
                hint=_("Leave empty to use the metric's default"),
                element=StaticSelectElement(
                    action_id=ids.GOAL_MODAL_DIRECTION_ACTION, options=direction_options
                ),
            ),
            InputBlock(
                block_id=ids.GOAL_MODAL_DUE_BLOCK,
                label=_("Due date"),
                optional=True,
                element=DatePickerElement(action_id=ids.GOAL_MODAL_DUE_ACTION),
            ),
            _number_input(
                ids.GOAL_MODAL_STRETCH_BLOCK,
                ids.GOAL_MODAL_STRETCH_ACTION,
                label=_("Stretch target"),
                hint=_("Beyond the target, shown as progress; the bands judge the target"),
            ),
            _number_input(
                ids.GOAL_MODAL_START_BLOCK,
                ids.GOAL_MODAL_START_ACTION,
                label=_("Start value"),
                hint=_("Where the metric is today: with a due date, bands follow the plan from it"),
            ),
            InputBlock(
                block_id=ids.GOAL_MODAL_OWNER_BLOCK,
                label=_("Owner"),
                element=UserSelectElement(
                    action_id=ids.GOAL_MODAL_OWNER_ACTION, initial_user=user_id
                ),
            ),
            InputBlock(
                block_id=ids.GOAL_MODAL_LEAD_BLOCK,
                label=_("Lead"),
                optional=True,
                element=UserSelectElement(action_id=ids.GOAL_MODAL_LEAD_ACTION),
            ),
        ],
    )


def read_submission(
    view: dict[str, Any], *, catalog: MetricCatalog, today: date
) -> tuple[str, GoalChange]:
    """(channel_id, change) from a submitted form; ModalInputError names each bad field."""
    values = view.get("state", {}).get("values", {})

    def field(block: str, action: str) -> dict[str, Any]:
        return values.get(block, {}).get(action, {}) or {}

    errors: dict[str, str] = {}
    metric_key = (
        field(ids.GOAL_MODAL_METRIC_BLOCK, ids.GOAL_MODAL_METRIC_ACTION).get("selected_option")
        or {}
    ).get("value", "")
    raw_target = field(ids.GOAL_MODAL_TARGET_BLOCK, ids.GOAL_MODAL_TARGET_ACTION).get("value") or ""
    target = 0.0
    try:
        metric = require_metric(catalog, metric_key)
    except GoalpulseError:
        errors[ids.GOAL_MODAL_METRIC_BLOCK] = _("Pick one of the metrics in the list.")
    else:
        quantity = parse_quantity(raw_target)
        if quantity is None:
            errors[ids.GOAL_MODAL_TARGET_BLOCK] = not_a_number(metric)
        else:
            try:
                target = target_for(metric, quantity)
            except GoalpulseError as exc:
                errors[ids.GOAL_MODAL_TARGET_BLOCK] = _plain(exc)
    direction_value = (
        field(ids.GOAL_MODAL_DIRECTION_BLOCK, ids.GOAL_MODAL_DIRECTION_ACTION).get(
            "selected_option"
        )
        or {}
    ).get("value")
    due_text = field(ids.GOAL_MODAL_DUE_BLOCK, ids.GOAL_MODAL_DUE_ACTION).get("selected_date")
    due = date.fromisoformat(due_text) if due_text else None
    if due is not None and due < today:
        errors[ids.GOAL_MODAL_DUE_BLOCK] = _("The due date is in the past.")
    owner = field(ids.GOAL_MODAL_OWNER_BLOCK, ids.GOAL_MODAL_OWNER_ACTION).get("selected_user")
    lead = field(ids.GOAL_MODAL_LEAD_BLOCK, ids.GOAL_MODAL_LEAD_ACTION).get("selected_user")
    plan: dict[str, Any] = {}
    if not errors:
        raw = {
            block: field(block, action).get("value") or ""
            for block, action in (
                (ids.GOAL_MODAL_STRETCH_BLOCK, ids.GOAL_MODAL_STRETCH_ACTION),
                (ids.GOAL_MODAL_START_BLOCK, ids.GOAL_MODAL_START_ACTION),
            )
        }
        metric = require_metric(catalog, metric_key)
        direction = direction_value or metric.direction
        plan = _plan(raw, metric, target, direction, due, today, errors)
    if errors:
        raise ModalInputError(errors)
    channel_id = json.loads(view.get("private_metadata") or "{}").get("channel_id", "")
    change = GoalChange(
        metric_key=metric_key,
        target=target,
        direction=Direction(direction_value) if direction_value else None,
        due_date=due,
        owner_id=owner,
        lead_id=lead,
        **plan,
    )
    return channel_id, change


def _number_input(block_id: str, action_id: str, *, label: str, hint: str) -> InputBlock:
    """An optional one-line number field."""
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        hint=hint,
        element=PlainTextInputElement(action_id=action_id, max_length=20),
    )


def _plan(
    raw: dict[str, str],
    metric: Metric,
    target: float,
    direction: str,
    due: date | None,
    today: date,
    errors: dict[str, str],
) -> dict[str, Any]:
    """The stretch and start (from today, towards the due date) typed into the form, as
    GoalChange fields; a bad one's error is added to `errors`."""
    read: dict[str, Any] = {}
    for block, name, read_number in (
        (ids.GOAL_MODAL_STRETCH_BLOCK, "stretch", target_for),
        (ids.GOAL_MODAL_START_BLOCK, "start_value", reading_for),
    ):
        if not raw[block].strip():
            continue
        quantity = parse_quantity(raw[block])
        if quantity is None:
            errors[block] = not_a_number(metric)
            continue
        try:
            read[name] = read_number(metric, quantity)
        except GoalpulseError as exc:
            errors[block] = _plain(exc)
    if "start_value" in read:
        read["start_date"] = today
        if due is None or due <= today:
            errors[ids.GOAL_MODAL_START_BLOCK] = _(
                "Pick a due date after today: the plan runs to it."
            )
    fields = PlanFields(target=target, direction=direction, due=None, stretch=read.get("stretch"))
    problem = stretch_problem(fields, shown=functools.partial(metric_value, metric))
    if problem is not None and ids.GOAL_MODAL_STRETCH_BLOCK not in errors:
        errors[ids.GOAL_MODAL_STRETCH_BLOCK] = _plain(UsageError(*problem))
    return read


def not_a_number(metric: Metric) -> str:
    """A number field's error when what was typed is not a number (both forms share it)."""
    return _("Not a number. Try {example} (also 150000, 1.2M, 30%).").format(
        example=example_target(metric)
    )


def _plain(exc: GoalpulseError) -> str:
    """An error as a form shows it: plain text, no code spans, no mrkdwn escapes."""
    return unescape_slack(error_text(exc).replace("`", ""))
