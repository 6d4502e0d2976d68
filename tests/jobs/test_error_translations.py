"""Refusals raised in jobs/ speak the reader's language: each one, raised by the real function
from real input under zh-CN, reads in Chinese with its data (metric keys, what was typed, people,
channels, days) intact, and under en exactly as it always has."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.render.blocks import error_blocks
from bot.render.text import error_text
from jobs.checkins.service import NOTE_CHARS, Answer, record_answer
from jobs.errors import GoalpulseError, NotFoundError
from jobs.escalation.remediation import Remediation, item_named, open_remediation, resolve
from jobs.goals.goal_plan import apply_plan
from jobs.goals.guardrails import remove_guard
from jobs.goals.red_start import red_start_refusal
from jobs.goals.removal import removed_message
from jobs.goals.service import (
    Actor,
    GoalChange,
    Thresholds,
    find_goal,
    require_editor,
    require_metric,
    set_goal,
)
from jobs.i18n import use_locale
from jobs.metrics.catalog import Metric, load_catalog
from jobs.metrics.quantities import parse_quantity, reading_for, target_for
from storage.db import Database
from storage.models import Goal, GoalStatus
from tests.support.chinese import english_left, texts_of
from tests.support.fake_slack import block_errors

CATALOG = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MONDAY = date(2026, 11, 30)
KNOWN = ", ".join(f"`{key}`" for key in CATALOG.keys[:15])


def _metric(key: str) -> Metric:
    metric = CATALOG.get(key)
    assert metric is not None
    return metric


async def _not_admin() -> bool:
    return False


async def _admin() -> bool:
    return True


NOBODY = Actor("U0OTHER", _not_admin)


def _goal(**fields: object) -> Goal:
    base: dict[str, object] = {
        "id": 7,
        "team_id": "T1",
        "channel_id": "C1",
        "metric_key": "dau",
        "target": 150_000,
        "direction": "higher",
        "unit": "count",
        "owner_id": "U0OWNER",
        "lead_id": "U0LEAD",
        "created_by": "U0OWNER",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Goal.model_validate(base | fields)


def _target(key: str, typed: str) -> float:
    quantity = parse_quantity(typed)
    assert quantity is not None
    return target_for(_metric(key), quantity)


def _reading(key: str, typed: str) -> float:
    quantity = parse_quantity(typed)
    assert quantity is not None
    return reading_for(_metric(key), quantity)


def _plan(change: GoalChange) -> None:
    apply_plan(_goal(), change, metric=_metric("dau"), today=MONDAY)


def _removed() -> None:
    goal = _goal(status=GoalStatus.REMOVED.value, removed_at=NOW, removed_by="U0LEAD")
    raise NotFoundError(*removed_message(goal))  # what refuse_if_removed raises


def _red_start() -> None:
    dau = _metric("dau")
    lead, owner = "U0LEAD", "U0OWNER"
    raise red_start_refusal(
        dau, day=MONDAY, value=60_000, target=150_000, lead=lead, people=[owner]
    )


def _remediation() -> Remediation:
    return open_remediation(
        goal_id="g1", trigger="orange", owner_id="U0OWNER", lead_id="U0LEAD", now=NOW
    )


async def _refusal(raise_it: Callable[[], object]) -> GoalpulseError:
    async def raised() -> object:
        result = raise_it()
        return await result if inspect.isawaitable(result) else result

    with pytest.raises(GoalpulseError) as caught:
        await raised()
    return caught.value


# (raises the refusal, its Chinese text, its English text), both as mrkdwn.
REFUSALS = [
    pytest.param(
        lambda: _target("dau", "30%"),
        "`dau` 是计数类指标，目标不能是百分比。",
        "`dau` is a count metric, so its target cannot be a percentage.",
        id="quantities-percent-on-a-count",
    ),
    pytest.param(
        lambda: _target("aov", "$520"),
        "`aov` 以 ¥ 计，不是 $；请把目标写成 ¥520 或直接写 520。",
        "`aov` is counted in ¥, not $; write the target as ¥520 or just 520.",
        id="quantities-other-currency",
    ),
    pytest.param(
        lambda: _reading("next_day_retention", "140%"),
        "`140%` 超过了 100%；百分比应在 0 到 100 之间。",
        "`140%` is over 100%; percentages are between 0 and 100.",
        id="quantities-reading-over-100",
    ),
    pytest.param(
        lambda: require_metric(CATALOG, "revenu"),
        f"metrics.yml 中没有指标 `revenu`。已有的指标：{KNOWN}。",
        f"There is no metric `revenu` in metrics.yml. Known metrics: {KNOWN}.",
        id="service-missing-metric",
    ),
    pytest.param(
        lambda: Thresholds(0.3, 0.2, 0.1),
        "阈值必须为正数且逐级递增：先是黄色，然后是更大的橙色，再是更大的红色。",
        "Thresholds must be positive and increasing: yellow, then a larger orange, then a larger "
        "red.",
        id="service-thresholds",
    ),
    pytest.param(
        lambda: require_editor(_goal(), NOBODY),
        "只有该目标的负责人、牵头人或创建者（<@U0LEAD>, <@U0OWNER>）或工作区管理员可以修改 "
        "`dau` 目标。",
        "Only the goal's owner, lead or creator (<@U0LEAD>, <@U0OWNER>) or a workspace admin "
        "can change the `dau` goal.",
        id="service-not-an-editor",
    ),
    pytest.param(
        _red_start,
        "`dau` 的最新值是 60k（2026年11月30日 周一）。把目标设为 150k 会让该目标一开始就是红色"
        "并通知 CEO，所以只有频道牵头人（<@U0LEAD>）、该目标的负责人或牵头人（<@U0OWNER>）"
        "或工作区管理员可以设置。",
        "The latest `dau` value is 60k (Mon 30 Nov 2026). A target of 150k would start this "
        "goal in red and page the CEO, so only the channel lead (<@U0LEAD>), the goal's owner "
        "or lead (<@U0OWNER>) or a workspace admin can set it.",
        id="red-start",
    ),
    pytest.param(
        lambda: _plan(GoalChange("dau", 150_000, stretch=100_000)),
        "挑战目标（100k）必须高于目标（150k）：这个目标越高越好。",
        "The stretch (100k) must be above the target (150k): higher is better for this goal.",
        id="plan-stretch-below-the-target",
    ),
    pytest.param(
        lambda: _plan(GoalChange("dau", 150_000, pace="steady")),
        "`steady` 不是有效的节奏；请用 `linear` 或 `front-loaded`。",
        "`steady` is not a pace; use `linear` or `front-loaded`.",
        id="plan-unknown-pace",
    ),
    pytest.param(
        _removed,
        "该目标已于 2026年11月30日 由 <@U0LEAD> 从 <#C1> 移除；无需操作。",
        "This goal was removed from <#C1> on 30 Nov 2026 by <@U0LEAD>; nothing to do.",
        id="removal-already-removed",
    ),
    pytest.param(
        lambda: Answer(value=None, confidence="maybe", moved=None, blockers=None),
        "请选择你的把握程度：进度正常、有风险或偏离轨道。",
        "Pick how confident you are: on track, at risk or off track.",
        id="checkin-no-confidence",
    ),
    pytest.param(
        lambda: Answer(value=None, confidence="at_risk", moved=None, blockers="x" * 1001),
        f"“阻碍因素”最多 {NOTE_CHARS} 个字符。",
        f"Blockers holds at most {NOTE_CHARS} characters.",
        id="checkin-note-too-long",
    ),
    pytest.param(
        lambda: resolve(
            _remediation(), user_id="U0OTHER", is_admin=False, now=NOW, metric_adverse=True
        ),
        "只有目标负责人、牵头人或管理员可以将其标记为已解决。",
        "Only the goal owner, the lead or an admin can resolve this.",
        id="remediation-resolve-refused",
    ),
    pytest.param(
        lambda: item_named(_remediation(), "nope"),
        "这份清单中没有事项 `nope`。",
        "This checklist has no item `nope`.",
        id="remediation-no-such-item",
    ),
]


@pytest.mark.parametrize(("raise_it", "chinese", "english"), REFUSALS)
async def test_a_refusal_reads_in_chinese_and_in_english_as_before(
    raise_it: Callable[[], object], chinese: str, english: str
) -> None:
    with use_locale("zh-CN"):
        error = await _refusal(raise_it)
        reply = [block.to_dict() for block in error_blocks(error)]
    assert error_text(error) == chinese
    assert english_left(texts_of(reply)) == []
    assert block_errors(reply) == []
    with use_locale("en"):
        assert error_text(await _refusal(raise_it)) == english


Stored = Callable[[Database], Awaitable[object]]


async def _no_goal(database: Database) -> object:
    async with database.transaction() as session:
        return await find_goal(session=session, team_id="T1", channel_id="C1", metric_key="dau")


async def _not_a_guard(database: Database) -> object:
    async with database.transaction() as session:
        await set_goal(
            session=session,
            catalog=CATALOG,
            team_id="T1",
            channel_id="C1",
            actor=Actor("U0OWNER", _admin),
            change=GoalChange("dau", 150_000),
            now=NOW,
        )
    async with database.transaction() as session:
        return await remove_guard(
            session=session,
            team_id="T1",
            channel_id="C1",
            actor=Actor("U0OWNER", _admin),
            metric_key="dau",
            guard_metric="aov",
            now=NOW,
        )


async def _unknown_checkin(database: Database) -> object:
    return await record_answer(
        database=database,
        team_id="T1",
        checkin_id=404,
        user_id="U0OWNER",
        value=None,
        confidence="on_track",
        moved=None,
        blockers=None,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("stored", "chinese", "english"),
    [
        pytest.param(
            _no_goal,
            "本频道没有 `dau` 的目标。`/goal list` 会列出本频道已有的目标。",
            "This channel has no goal on `dau`. `/goal list` shows the ones it has.",
            id="service-no-goal",
        ),
        pytest.param(
            _not_a_guard,
            "`aov` 不是 `dau` 目标的护栏指标（该目标没有护栏指标）。",
            "`aov` does not guard the `dau` goal (it has no guards).",
            id="guardrails-not-a-guard",
        ),
        pytest.param(
            _unknown_checkin,
            "goalpulse 中没有这次进度汇报；未记录任何内容。",
            "That check-in is not one goalpulse knows; nothing was recorded.",
            id="checkin-unknown",
        ),
    ],
)
async def test_a_refusal_from_the_database_reads_in_either_language(
    database: Database, stored: Stored, chinese: str, english: str
) -> None:
    with use_locale("zh-CN"):
        shown = error_text(await _refusal(lambda: stored(database)))
    assert shown == chinese
    assert english_left(shown) == []
    with use_locale("en"):
        assert error_text(await _refusal(lambda: stored(database))) == english
