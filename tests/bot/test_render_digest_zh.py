"""The daily digest and the DMs around it, read in Simplified Chinese: no English left, Slack's
limits kept, and the bands, days and numbers a Chinese reader expects."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.render.checkin_summary import checkin_summary
from bot.render.digest import digest_blocks, digest_text
from bot.render.figures import reader_day, reader_value, signed_points
from bot.render.problems import delivery_problem
from bot.render.self_check import self_check_notice
from bot.render.source import source_notice
from jobs.digest.model import (
    AtRisk,
    BenchmarkGap,
    ChannelDigest,
    EscalationStatus,
    GoalLine,
    GuardStatus,
    HealthIndex,
    Reading,
    TierLine,
    TierShare,
)
from jobs.i18n import use_locale
from jobs.messages import (
    AffectedGoal,
    CheckinEntry,
    DeliveryProblem,
    GoalWeek,
    MissedCheckin,
    SelfCheckNotice,
    SourceNotice,
    WeeklyCheckinSummary,
)
from tests.bot.test_render_digest import BASE as ENGLISH_BASE
from tests.support.chinese import english_left, texts_of
from tests.support.fake_slack import block_errors

MONDAY = date(2026, 11, 30)
SINCE = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
BANDS = ("red", "orange", "yellow", "no_data", "invalid", "green")
# Titles come from metrics.yml and stay as written.
TITLES = ("Daily active users", "Active rate", "User health index", "Order value")
# A source's own error line (in a source notice) stays as it came; its kind is translated.
DATA = (*TITLES, "file not found")
BASE = replace(
    ENGLISH_BASE,
    currency="¥",
    value=12_345.0,
    value_day=MONDAY,
    target=15_000.0,
    deviation=12_345 / 15_000 - 1,
    sparkline=(1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0),
    consecutive_adverse=3,
)


def line(n: int) -> GoalLine:
    """Goal `n`: every band, trend and note turns up across a dozen of them."""
    band = BANDS[n % len(BANDS)]
    return replace(
        BASE,
        goal_id=n,
        metric_key=f"metric_{n:03d}",
        band=band,
        unit="currency" if n % 3 == 1 else "count",
        value=None if band in ("no_data", "invalid") else 12_345.0 + n,
        value_day=None if n % 12 == 3 else MONDAY,
        target=0.0 if band == "invalid" and n % 2 else 15_000.0,
        deviation=None if band in ("no_data", "invalid") else -(n % 40) / 100,
        direction=("higher", "lower", "either")[n % 3],
        trend_alert=n % 4 == 0,
        red_in_days=4.0 if n % 3 == 1 else None,
        source_error="timed out" if n % 7 == 0 else None,
        benchmark=BenchmarkGap(20_000.0, -0.38, breached=n % 2 == 0) if n % 5 == 0 else None,
        confidence=("on_track", "at_risk", "off_track", None)[n % 4],
        raised_by_owner=n % 4 == 2,
        checkin_missed=n % 3 == 0,
        guards=(
            GuardStatus("complaint_rate", 0.35, breached=True),
            GuardStatus("nps", None, False),
        ),
        escalation=(
            EscalationStatus("red", "U0BOSS" if n % 4 == 0 else None, 7, 1, 3, None, None)
            if band == "red"
            else None
        ),
    )


def reading(title: str, unit: str, value: float, **more: Any) -> Reading:
    return Reading(title.lower(), title, unit, "fraction", "¥", value, **more)


HEALTH = HealthIndex(
    value=10.87,
    components={},
    sparkline=(9.0, 10.0, None, 11.0),
    index=reading("User health index", "currency", 10.87, change_wow=-0.032),
    factors=(
        reading("Active rate", "percent", 0.29, change_wow=-0.015),
        reading("Order value", "currency", 12_800.0, change_wow=0.02),
    ),
    aov_volatility=0.18,
    benchmarks=(
        reading("Active rate", "percent", 0.29, benchmark=BenchmarkGap(0.35, -0.17, True)),
        reading("Order value", "currency", 2.1e6, benchmark=BenchmarkGap(2e6, 0.05, False)),
    ),
    undeclared=("retention_7d",),
)
TIERS = TierLine(
    shares=(
        TierShare("high_value", 0.081, change_points=-0.6),
        TierShare("potential", 0.31),
        TierShare("new", None),
        TierShare("churned", 0.489),
    ),
    at_risk=(AtRisk(None, 12_040.0), AtRisk("high_value", 312.0)),
)


def digest(count: int) -> ChannelDigest:
    lines = tuple(line(n) for n in range(count))
    return ChannelDigest("T0001", "C0001", MONDAY, "Asia/Shanghai", lines, HEALTH, tiers=TIERS)


def payload(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def in_chinese(count: int) -> tuple[str, list[dict[str, Any]]]:
    with use_locale("zh-CN"):
        return digest_text(digest(count)), payload(digest_blocks(digest(count)))


@pytest.mark.parametrize(
    "count",
    [
        pytest.param(12, id="every-goal-in-full"),
        pytest.param(60, id="condensed"),
        pytest.param(400, id="dense-with-goals-left-out"),
    ],
)
def test_chinese_digest_fits_slack_and_leaves_no_english(count: int) -> None:
    text, blocks = in_chinese(count)
    assert block_errors(blocks) == []
    assert english_left(f"{text}\n{texts_of(blocks)}", allowed=DATA) == []


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param("目标健康度 · 11月30日 周一", id="header-day"),
        pytest.param(":red_circle: 红色 2 个", id="band-count"),
        pytest.param("绿色", id="green"),
        pytest.param("黄色", id="yellow"),
        pytest.param("橙色", id="orange"),
        pytest.param("1.2万（目标 1.5万）", id="value-vs-target"),
        pytest.param("¥1.2万（目标 ¥1.5万）", id="money"),
        pytest.param("成立专项小组", id="orange-response"),
        pytest.param(":warning: 低于基准 2万（−38%）", id="benchmark-breached"),
        pytest.param("↘ 连续 3 天下降", id="trend"),
        pytest.param("按当前速度，约 4 天后变为红色", id="red-in-days"),
        pytest.param("负责人自评：偏离轨道，已调为黄色", id="raised-by-owner"),
        pytest.param("未按时汇报", id="check-in-missed"),
        pytest.param("护栏指标 `complaint_rate` +35%（已突破）", id="guard"),
        pytest.param("已升级（红色） · <@U0BOSS> 已确认 · 整改已完成 1/3", id="escalation"),
        pytest.param("已升级（红色） · 未确认", id="not-acknowledged"),
        pytest.param("数据源故障：超时", id="source-failure-kind"),
        pytest.param("*用户健康指数* ¥10.87", id="health-index"),
        pytest.param("客单价每日波动 ±18%", id="aov-swings"),
        pytest.param("高价值 8.1%（−0.6 个百分点）", id="tier-share"),
        pytest.param("1.2万 位客户有流失风险 · 312 位高价值客户有流失风险", id="at-risk"),
    ],
)
def test_chinese_digest_reads_as_a_chinese_reader_expects(expected: str) -> None:
    _, blocks = in_chinese(12)
    assert expected in texts_of(blocks)


def test_english_digest_keeps_its_words() -> None:
    blocks = texts_of(payload(digest_blocks(digest(12))))
    assert "Goal health · Mon 30 Nov" in blocks
    assert "12.3k vs 15k" in blocks
    assert "High-value 8.1% (−0.6 pt)" in blocks


@pytest.mark.parametrize(
    ("locale", "unit", "value", "shown"),
    [
        pytest.param("en", "count", 12_345.0, "12.3k", id="en-count"),
        pytest.param("zh-CN", "count", 12_345.0, "1.2万", id="zh-count"),
        pytest.param("zh-CN", "count", 1_234.5, "1234.5", id="zh-small-count"),
        pytest.param("en", "currency", 5e8, "¥500M", id="en-money"),
        pytest.param("zh-CN", "currency", 5e8, "¥5亿", id="zh-money"),
        pytest.param("zh-CN", "currency", -520.0, "-¥520", id="zh-negative-money"),
        pytest.param("zh-CN", "percent", 0.241, "24.1%", id="zh-percent"),
        pytest.param("zh-CN", "ratio", 1.25, "1.25", id="zh-ratio"),
        pytest.param("zh-CN", "count", float("nan"), "—", id="zh-not-a-number"),
    ],
)
def test_reader_value_follows_the_locale(locale: str, unit: str, value: float, shown: str) -> None:
    with use_locale(locale):
        assert reader_value(unit, value, currency="¥") == shown


@pytest.mark.parametrize(
    ("locale", "day", "points"),
    [
        pytest.param("en", "Mon 30 Nov", "−0.6 pt", id="en"),
        pytest.param("zh-CN", "11月30日 周一", "−0.6 个百分点", id="zh-CN"),
    ],
)
def test_days_and_points_follow_the_locale(locale: str, day: str, points: str) -> None:
    with use_locale(locale):
        assert (reader_day(MONDAY), signed_points(-0.6)) == (day, points)


GOALS = (
    AffectedGoal("dau", "Daily active users", "C0GROWTH"),
    AffectedGoal("dau_k", "Daily active users", "C0OPS", derived=True),
)
FAILING = SourceNotice("dau", "Daily active users", SINCE, "dau.csv: file not found", GOALS)
ORDERS = replace(FAILING, datasets=("orders", "activity"), metrics=("Order value",))
WEEK = WeeklyCheckinSummary(
    "C0001",
    "2026-W49",
    MONDAY,
    date(2026, 12, 6),
    (
        GoalWeek(
            1,
            "dau",
            "Daily active users",
            "count",
            "fraction",
            "¥",
            (
                CheckinEntry("U0ANA", MONDAY, "off_track", "on_track", 15_200.0, "促销", "库存"),
                CheckinEntry("U0BOB", MONDAY, None, None, None, None, None, late=True),
            ),
            (MissedCheckin("U0CAT", date(2026, 12, 1)),),
        ),
    ),
)
NOTICES = [
    pytest.param(lambda: source_notice(FAILING), "数据源出现故障", id="source-failing"),
    pytest.param(
        lambda: source_notice(replace(FAILING, recovered_at=SINCE)), "已恢复拉取", id="recovered"
    ),
    pytest.param(
        lambda: source_notice(ORDERS), "无法读取 *orders* 和 *activity* 数据集", id="sets"
    ),
    pytest.param(
        lambda: source_notice(replace(ORDERS, recovered_at=SINCE)), "可再次读取", id="sets-back"
    ),
    pytest.param(
        lambda: delivery_problem(
            DeliveryProblem("account_inactive", "U0ANA", "C0001", "dau", "dm")
        ),
        "<@U0ANA> 的账号已停用",
        id="delivery-problem",
    ),
    pytest.param(
        lambda: delivery_problem(DeliveryProblem("ratelimited", None, "C0001", "dau", "dm", False)),
        "多次重试仍失败",
        id="delivery-gave-up",
    ),
    pytest.param(
        lambda: self_check_notice(SelfCheckNotice("outbox", SINCE, SINCE, waiting=3)),
        "*3 条消息*",
        id="self-check-outbox",
    ),
    pytest.param(
        lambda: self_check_notice(SelfCheckNotice("source", SINCE, SINCE, metric_key="dau")),
        "连续故障超过一天",
        id="self-check-source",
    ),
    pytest.param(lambda: checkin_summary(WEEK), "偏离轨道（之前：进度正常） · 1.5万", id="week"),
]


@pytest.mark.parametrize(("build", "expected"), NOTICES)
def test_chinese_notices_leave_no_english(build: Any, expected: str) -> None:
    with use_locale("zh-CN"):
        text, blocks = build()
    shown = f"{text}\n{texts_of(payload(blocks))}"
    assert block_errors(payload(blocks)) == []
    assert english_left(shown, allowed=DATA) == []
    assert expected in shown
