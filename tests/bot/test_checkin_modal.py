"""The check-in form: what it asks for each kind of metric, and reading a submission back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.constants import CHECKIN_MODAL
from bot.errors import ModalInputError
from bot.views import checkin_modal as form
from bot.views.checkin_modal import CheckinAnswer, CheckinForm, Latest
from jobs.errors import UsageError
from jobs.i18n import use_locale
from jobs.metrics.catalog import load_catalog
from tests.support.chinese import english_left, texts_of
from tests.support.fake_slack import VIEW_BLOCKS, block_errors

CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")


def built(key: str, latest: Latest | None = None, state: str = "asked") -> dict[str, Any]:
    metric = CATALOG.get(key)
    assert metric is not None
    view = form.checkin_modal(CheckinForm(checkin_id=7, metric=metric, latest=latest, state=state))
    return view.to_dict()


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def submitted(
    view: dict[str, Any],
    *,
    value: str | None = None,
    confidence: str | None = "on_track",
    moved: str | None = None,
    blockers: str | None = None,
) -> dict[str, Any]:
    """The view as Slack sends it back with these inputs."""
    values: dict[str, Any] = {
        form.CONFIDENCE_BLOCK: {
            form.CONFIDENCE_ACTION: {
                "type": "radio_buttons",
                "selected_option": {"value": confidence} if confidence else None,
            }
        },
        form.MOVED_BLOCK: {form.MOVED_ACTION: {"type": "plain_text_input", "value": moved}},
        form.BLOCKERS_BLOCK: {
            form.BLOCKERS_ACTION: {"type": "plain_text_input", "value": blockers}
        },
    }
    if any(block.get("block_id") == form.VALUE_BLOCK for block in view["blocks"]):
        values[form.VALUE_BLOCK] = {form.VALUE_ACTION: {"type": "plain_text_input", "value": value}}
    return {**view, "state": {"values": values}}


def test_a_manual_metric_asks_for_its_value_with_the_last_one_as_a_hint() -> None:
    view = built("aov", Latest(date(2026, 11, 29), 500.0))
    assert view["callback_id"] == CHECKIN_MODAL
    assert json.loads(view["private_metadata"]) == {
        "checkin_id": 7,
        "metric_key": "aov",
        "value": None,
    }
    [value] = [b for b in view["blocks"] if b.get("block_id") == form.VALUE_BLOCK]
    assert value["hint"]["text"] == "Like ¥520. Last recorded: ¥500 on 29 Nov"
    assert "Average order value" in text_of(view)


def test_a_pulled_metric_shows_the_pulled_value_to_confirm() -> None:
    view = built("dau", Latest(date(2026, 12, 1), 152_000.0))
    assert "Pulled: 152k on 1 Dec" in text_of(view)
    assert all(b.get("block_id") != form.VALUE_BLOCK for b in view["blocks"])
    answer = form.read_checkin_submission(
        submitted(view, confidence="at_risk", moved="  launch slipped  "), catalog=CATALOG
    )
    assert answer == CheckinAnswer(7, "dau", 152_000.0, "at_risk", "launch slipped", None)


def test_confidence_offers_the_three_choices_and_is_required() -> None:
    view = built("nps")
    [block] = [b for b in view["blocks"] if b.get("block_id") == form.CONFIDENCE_BLOCK]
    assert [o["text"]["text"] for o in block["element"]["options"]] == [
        "On track",
        "At risk",
        "Off track",
    ]
    assert not block.get("optional")


@pytest.mark.parametrize(
    ("state", "note"),
    [
        pytest.param("missed", "a late answer is kept", id="missed"),
        pytest.param("answered", "sending again replaces it", id="answered"),
    ],
)
def test_the_form_says_when_the_answer_is_late_or_a_second_one(state: str, note: str) -> None:
    assert note in text_of(built("nps", state=state))


READS = [
    pytest.param("aov", "¥480", 480.0, id="currency"),
    pytest.param("aov", "1.2k", 1200.0, id="suffix"),
    pytest.param("next_day_retention", "35%", 0.35, id="percent"),
    pytest.param("nps", "-0.5", -0.5, id="negative-ratio"),
    pytest.param("aov", " 0 ", 0.0, id="zero-with-spaces"),
]


@pytest.mark.parametrize(("key", "typed", "value"), READS)
def test_a_typed_value_is_read_in_the_metric_scale(key: str, typed: str, value: float) -> None:
    answer = form.read_checkin_submission(submitted(built(key), value=typed), catalog=CATALOG)
    assert answer.value == value


BAD = [
    pytest.param("aov", {"value": "lots"}, {form.VALUE_BLOCK: "Not a number. Try ¥520"}, id="word"),
    pytest.param("aov", {"value": ""}, {form.VALUE_BLOCK: "Try ¥520"}, id="empty"),
    pytest.param("aov", {"value": "$480"}, {form.VALUE_BLOCK: "counted in ¥"}, id="currency"),
    pytest.param("aov", {"value": "-5"}, {form.VALUE_BLOCK: "-5"}, id="negative"),
    pytest.param(
        "aov",
        {"value": "480", "confidence": None},
        {form.CONFIDENCE_BLOCK: "Pick On track, At risk or Off track."},
        id="no-confidence",
    ),
    pytest.param(
        "nps",
        {"value": "1", "confidence": "meh"},
        {form.CONFIDENCE_BLOCK: "Pick On track"},
        id="unknown-confidence",
    ),
    pytest.param(
        "nps",
        {"value": "x", "blockers": "b" * 1001},
        {form.VALUE_BLOCK: "Not a number", form.BLOCKERS_BLOCK: "under 1000 characters"},
        id="two-bad-fields",
    ),
]


@pytest.mark.parametrize(("key", "inputs", "errors"), BAD)
def test_bad_fields_are_named_in_the_form(
    key: str, inputs: dict[str, Any], errors: dict[str, str]
) -> None:
    """Each bad field gets its own plain-text message; the form stays open."""
    with pytest.raises(ModalInputError) as caught:
        form.read_checkin_submission(submitted(built(key), **inputs), catalog=CATALOG)
    assert set(caught.value.errors) == set(errors)
    for block, fragment in errors.items():
        assert fragment in caught.value.errors[block]
        assert "`" not in caught.value.errors[block]


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param("", id="empty"),
        pytest.param("not json", id="not-json"),
        pytest.param('{"checkin_id": "7", "metric_key": "aov", "value": null}', id="id-as-text"),
        pytest.param('{"checkin_id": true, "metric_key": "aov", "value": null}', id="id-as-bool"),
        pytest.param('{"checkin_id": 7, "metric_key": "gone", "value": null}', id="metric-gone"),
    ],
)
def test_a_form_goalpulse_did_not_build_is_refused(metadata: str) -> None:
    view = {**submitted(built("aov"), value="480"), "private_metadata": metadata}
    with pytest.raises(UsageError):
        form.read_checkin_submission(view, catalog=CATALOG)


# Slack's limits on a modal (views.open refuses more): title, submit and close 24 characters,
# an input's label 2000, its hint 2000, an option's text 75.
MODAL_LIMITS = {"title": 24, "submit": 24, "close": 24}


def modal_limit_errors(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a modal: its blocks' limits, then the modal's own."""
    errors = block_errors(view["blocks"], VIEW_BLOCKS)
    for key, limit in MODAL_LIMITS.items():
        if len(view[key]["text"]) > limit:
            errors.append(f"{key} longer than {limit}: {view[key]['text']!r}")
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        for key in ("label", "hint"):
            if len(block.get(key, {}).get("text", "")) > 2000:
                errors.append(f"{block['block_id']} {key} longer than 2000")
        for option in block["element"].get("options", []):
            if len(option["text"]["text"]) > 75:
                errors.append(f"{block['block_id']} option longer than 75")
    return errors


def chinese_errors(errors: dict[str, str], allowed: tuple[str, ...] = ()) -> list[str]:
    """English left in a form's field errors."""
    return [run for text in errors.values() for run in english_left(text, allowed=allowed)]


TITLES = tuple(metric.title for metric in CATALOG)


@pytest.mark.parametrize(
    ("key", "latest", "state", "expected"),
    [
        pytest.param(
            "aov",
            Latest(date(2026, 11, 30), 15_200.0),
            "asked",
            "上次记录：¥1.5万（11月30日 周一）",
            id="manual",
        ),
        pytest.param(
            "dau",
            Latest(date(2026, 11, 30), 152_000.0),
            "asked",
            "已拉取：15.2万（11月30日 周一）",
            id="pulled",
        ),
        pytest.param("dau", None, "missed", "这次汇报已记为错过", id="missed"),
        pytest.param("nps", None, "answered", "你已经汇报过了", id="answered"),
    ],
)
def test_the_check_in_form_in_chinese(
    key: str, latest: Latest | None, state: str, expected: str
) -> None:
    """Every word of the form in Chinese, within Slack's limits; the metric's title as named."""
    with use_locale("zh-CN"):
        view = built(key, latest, state)
    assert modal_limit_errors(view) == []
    assert view["title"]["text"] == "汇报进展"
    assert english_left(texts_of(view), allowed=TITLES) == []
    assert expected in texts_of(view)
    [confidence] = [b for b in view["blocks"] if b.get("block_id") == form.CONFIDENCE_BLOCK]
    assert [o["text"]["text"] for o in confidence["element"]["options"]] == [
        "进度正常",
        "有风险",
        "偏离轨道",
    ]


def test_the_check_in_forms_errors_in_chinese() -> None:
    view = built("aov")
    inputs = {"value": "很多", "confidence": None, "blockers": "b" * 1001}
    with use_locale("zh-CN"), pytest.raises(ModalInputError) as caught:
        form.read_checkin_submission(submitted(view, **inputs), catalog=CATALOG)
    assert caught.value.errors == {
        form.VALUE_BLOCK: "这不是数字。试试 ¥520（也可以写 150000、1.2M、30%）。",
        form.CONFIDENCE_BLOCK: "请选择进度正常、有风险或偏离轨道。",
        form.BLOCKERS_BLOCK: "请控制在 1000 个字符以内（当前 1001 个）。",
    }
    assert chinese_errors(caught.value.errors) == []
