"""`/goal`'s replies and refusals read in Simplified Chinese: no English left, Slack's limits
kept, and the words a reader notices (bands, 万, days) written the Chinese way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.commands.parse import parse_command
from bot.render.blocks import (
    error_blocks,
    first_pull_blocks,
    goal_kept_blocks,
    goal_list_blocks,
    goal_removed_blocks,
    goal_saved_blocks,
    help_blocks,
    remove_question_blocks,
)
from bot.render.goal_detail import goal_detail_blocks
from bot.render.replies import checkin_text, config_blocks, config_saved_text, status_text
from jobs.errors import GoalpulseError
from jobs.escalation.remediation import DEFAULT_ITEMS
from jobs.escalation.treatments import DEFAULT_TREATMENTS
from jobs.goals.channel_settings import ConfigChange, EffectiveConfig, LanguageChange
from jobs.i18n import use_locale
from jobs.metrics.catalog import Metric, load_catalog
from jobs.metrics.first_pull import FirstPull
from storage.models import Evaluation, Goal, GoalStatus
from tests.support.chinese import english_left, texts_of
from tests.support.fake_slack import block_errors

CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")


def _metric(key: str) -> Metric:
    metric = CATALOG.get(key)
    assert metric is not None
    return metric


DAU = _metric("dau")
# Metric titles come from metrics.yml; checklist items and treatments typed by people are
# theirs; the default items and treatments are the escalation area's words (its own catalog).
ALLOWED = (
    *(metric.title for metric in CATALOG),
    "Pricing review",
    "Call them",
    *DEFAULT_ITEMS,
    *DEFAULT_TREATMENTS.values(),
)
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
GOAL = Goal(
    id=1, team_id="T1", channel_id="C1", metric_key="dau", target=150_000, direction="higher",
    unit="count", due_date=date(2027, 3, 31), owner_id="U0ANA", lead_id="U0LI",
    created_by="U0ANA", created_at=NOW, updated_at=NOW, start_value=100_000,
    start_date=date(2026, 11, 1), stretch=200_000,
)  # fmt: skip
UNPLANNED = GOAL.model_copy(update={"start_value": None, "start_date": None, "stretch": None})
RED = Evaluation(
    goal_id=1, team_id="T1", day=TODAY, value=120_000, value_day=TODAY, target=150_000,
    deviation=-0.2, adverse=0.2, band="red", evaluated_at=NOW, consecutive_adverse=4,
)  # fmt: skip
CONFIG = EffectiveConfig(
    ceo_id=None, lead_id="U0LI", digest_time="09:30", digest_time_source="default",
    timezone="Asia/Shanghai", timezone_source="workspace", checklist_items=("Pricing review",),
    tier_treatments={"churned": "Call them"}, language="zh-CN", language_source="channel",
)  # fmt: skip


def _refusal(text: str) -> list[Block]:
    try:
        parse_command(text, catalog=CATALOG, today=TODAY)
    except GoalpulseError as error:
        return error_blocks(error)
    raise AssertionError(f"{text!r} parsed")


def _text(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


REPLIES: list[Any] = [
    pytest.param(lambda: help_blocks(CATALOG), "工作区", id="help"),
    pytest.param(lambda: goal_list_blocks([], CATALOG), "本频道还没有目标", id="list-empty"),
    pytest.param(lambda: goal_list_blocks([GOAL], CATALOG, {1: RED}), "目标 15万", id="list"),
    pytest.param(lambda: goal_saved_blocks(GOAL, DAU, created=True), "挑战目标 20万", id="saved"),
    pytest.param(
        # Without a plan: the plan's lines are bot/render/plan.py's (its own catalog).
        lambda: goal_detail_blocks(UNPLANNED, DAU, [RED]),
        "已连续 4 天不利",
        id="show",
    ),
    pytest.param(lambda: remove_question_blocks(GOAL, DAU, "1:2"), "移除", id="remove"),
    pytest.param(lambda: goal_removed_blocks(GOAL), "历史记录已保留", id="removed"),
    pytest.param(goal_kept_blocks, "已保留目标", id="kept"),
    pytest.param(
        lambda: first_pull_blocks(FirstPull("dau", evaluation=RED), DAU, staleness_days=3),
        "11月30日 周一",
        id="first-pull",
    ),
    pytest.param(lambda: config_blocks(CONFIG), "简体中文", id="config"),
    pytest.param(
        lambda: _text(config_saved_text(ConfigChange(language=LanguageChange("zh-CN")))),
        "本频道将使用简体中文",
        id="language-saved",
    ),
    pytest.param(
        lambda: _text(status_text("dau", GoalStatus.PAUSED, changed=True)), "已暂停", id="paused"
    ),
    pytest.param(
        lambda: _text(checkin_text(DAU, 12_345, TODAY, band="red")),
        "红色",
        id="checkin",
    ),
    pytest.param(lambda: _refusal("frobnicate"), "不是 /goal 的子命令", id="unknown-command"),
    pytest.param(lambda: _refusal("set dau lots"), "不是数字", id="bad-target"),
    pytest.param(lambda: _refusal("set dau 150k by 2020-01-01"), "已经过去", id="past-due"),
    pytest.param(lambda: _refusal("thresholds dau 30% 20% 10%"), "递增", id="thresholds"),
    pytest.param(lambda: _refusal("config colour blue"), "不是设置项", id="bad-setting"),
    pytest.param(lambda: _refusal("config language klingon"), "不支持", id="bad-language"),
    pytest.param(lambda: _refusal("checkins dau weekly someday 10:00"), "不是星期几", id="cadence"),
    pytest.param(lambda: _refusal("guard dau with dau"), "不能守护自己的目标", id="guard-itself"),
]


@pytest.mark.parametrize(("render", "shown"), REPLIES)
def test_replies_read_in_chinese(render: Callable[[], Any], shown: str) -> None:
    with use_locale("zh-CN"):
        blocks = render()
    payload = [b.to_dict() if isinstance(b, Block) else b for b in blocks]
    text = texts_of(payload)
    assert english_left(text, allowed=ALLOWED) == []
    assert block_errors(payload) == []
    assert shown in text


def test_english_replies_are_unchanged() -> None:
    """English goes through the same renderers and reads as it always did."""
    saved = texts_of([b.to_dict() for b in goal_saved_blocks(GOAL, DAU, created=True)])
    assert ":dart: Created the goal *Daily active users* (`dau`): 150k, higher is better" in saved
    assert "stretch 200k, by 2027-03-31, from 100k on 2026-11-01 (linear)" in saved
    assert status_text("dau", GoalStatus.ACTIVE, changed=False) == "`dau` is already active."
