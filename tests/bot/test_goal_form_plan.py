"""The goal form's optional "Stretch target" and "Start value" (`bot.views.goal_modal`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot import constants as ids
from bot.errors import ModalInputError
from bot.views.goal_modal import goal_modal, read_submission
from jobs.i18n import use_locale
from jobs.metrics.catalog import load_catalog
from tests.bot.test_checkin_modal import TITLES, modal_limit_errors
from tests.support.chinese import english_left, texts_of

TODAY = date(2026, 11, 25)
CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")


def submitted(
    metric: str, target: str, *, stretch: str = "", start: str = "", due: str | None = None
) -> dict[str, Any]:
    """A submitted form's view, as Slack sends it."""
    values: dict[str, Any] = {
        ids.GOAL_MODAL_METRIC_BLOCK: {
            ids.GOAL_MODAL_METRIC_ACTION: {"selected_option": {"value": metric}}
        },
        ids.GOAL_MODAL_TARGET_BLOCK: {ids.GOAL_MODAL_TARGET_ACTION: {"value": target}},
        ids.GOAL_MODAL_STRETCH_BLOCK: {ids.GOAL_MODAL_STRETCH_ACTION: {"value": stretch or None}},
        ids.GOAL_MODAL_START_BLOCK: {ids.GOAL_MODAL_START_ACTION: {"value": start or None}},
        ids.GOAL_MODAL_DUE_BLOCK: {ids.GOAL_MODAL_DUE_ACTION: {"selected_date": due}},
    }
    return {"state": {"values": values}, "private_metadata": json.dumps({"channel_id": "C1"})}


def test_the_form_offers_stretch_and_start_as_optional_fields() -> None:
    view = goal_modal(catalog=CATALOG, channel_id="C1", user_id="U0ANA").to_dict()
    optional = {b["block_id"]: b.get("optional", False) for b in view["blocks"]}
    assert optional[ids.GOAL_MODAL_STRETCH_BLOCK] is True
    assert optional[ids.GOAL_MODAL_START_BLOCK] is True


def test_stretch_and_start_become_a_plan_from_today() -> None:
    """A start value starts the plan today, towards the due date picked."""
    view = submitted("dau", "150k", stretch="200k", start="100k", due="2027-03-31")
    _, change = read_submission(view, catalog=CATALOG, today=TODAY)
    assert (change.stretch, change.start_value, change.start_date, change.due_date) == (
        200_000,
        100_000,
        TODAY,
        date(2027, 3, 31),
    )


def test_empty_plan_fields_change_nothing() -> None:
    _, change = read_submission(submitted("dau", "150k"), catalog=CATALOG, today=TODAY)
    assert (change.stretch, change.start_value, change.start_date) == (None, None, None)


STRETCH, START = ids.GOAL_MODAL_STRETCH_BLOCK, ids.GOAL_MODAL_START_BLOCK
REFUSED = [
    pytest.param({"stretch": "100k"}, STRETCH, "above the target (150k)", id="stretch-too-low"),
    pytest.param({"stretch": "lots"}, STRETCH, "Not a number", id="stretch-not-a-number"),
    pytest.param({"start": "-5"}, START, "-5 is negative", id="start-negative"),
    pytest.param({"start": "100k"}, START, "Pick a due date after today", id="start-without-due"),
]


@pytest.mark.parametrize(("fields", "block", "fragment"), REFUSED)
def test_a_bad_plan_field_is_named_in_the_form(
    fields: dict[str, str], block: str, fragment: str
) -> None:
    """The error goes back into the field that holds it, as plain text."""
    with pytest.raises(ModalInputError) as caught:
        read_submission(submitted("dau", "150k", **fields), catalog=CATALOG, today=TODAY)
    assert fragment in caught.value.errors[block]
    assert "`" not in caught.value.errors[block]


def test_the_goal_form_in_chinese() -> None:
    """Every word of the form in Chinese, within Slack's limits; metric titles as named."""
    with use_locale("zh-CN"):
        view = goal_modal(catalog=CATALOG, channel_id="C1", user_id="U0ANA").to_dict()
    assert modal_limit_errors(view) == []
    assert [view[key]["text"] for key in ("title", "submit", "close")] == [
        "设定目标",
        "保存目标",
        "取消",
    ]
    assert english_left(texts_of(view), allowed=TITLES) == []
    [direction] = [b for b in view["blocks"] if b["block_id"] == ids.GOAL_MODAL_DIRECTION_BLOCK]
    assert [o["text"]["text"] for o in direction["element"]["options"]] == [
        "越高越好",
        "越低越好",
        "偏离即预警",
    ]


@pytest.mark.parametrize(
    ("inputs", "block", "expected"),
    [
        pytest.param(
            {"metric": "gone", "target": "1"},
            ids.GOAL_MODAL_METRIC_BLOCK,
            "请从列表中选择一个指标。",
            id="metric",
        ),
        pytest.param(
            {"metric": "dau", "target": "lots"},
            ids.GOAL_MODAL_TARGET_BLOCK,
            "这不是数字。试试 150k（也可以写 150000、1.2M、30%）。",
            id="target",
        ),
        pytest.param(
            {"metric": "dau", "target": "15万", "due": "2026-11-01"},
            ids.GOAL_MODAL_DUE_BLOCK,
            "截止日期已经过去。",
            id="past-due",
        ),
        pytest.param(
            {"metric": "dau", "target": "15万", "start": "12万"},
            ids.GOAL_MODAL_START_BLOCK,
            "请选择今天之后的截止日期：计划会一直执行到那一天。",
            id="start-without-due",
        ),
    ],
)
def test_the_goal_forms_errors_in_chinese(
    inputs: dict[str, Any], block: str, expected: str
) -> None:
    with use_locale("zh-CN"), pytest.raises(ModalInputError) as caught:
        read_submission(submitted(**inputs), catalog=CATALOG, today=TODAY)
    assert caught.value.errors[block] == expected
