"""A person's Home tab as Block Kit: `bot.render.home`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.constants import CHECKLIST_ACTION, checklist_block_id
from bot.render.home import MAX_HOME_BLOCKS, home_blocks, home_view
from bot.render.home_chart import CHART_ACTION
from jobs.digest.model import EscalationStatus
from jobs.escalation.remediation import ChecklistItem
from jobs.home.model import ChannelCounts, HomeChart, HomeChecklist, HomeGoal, HomePage
from jobs.i18n import use_locale
from tests.bot.test_render_digest import BASE
from tests.support.chinese import english_left, texts_of
from tests.support.fake_slack import VIEW_BLOCKS, block_errors

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
DAY = date(2026, 11, 25)
LINE = BASE  # the digest's own test line


def goal(n: int = 1, **changes: Any) -> HomeGoal:
    return HomeGoal("C0GROWTH", "owner", replace(LINE, goal_id=n, metric_key=f"m{n}", **changes))


def checklist(
    rem: int = 7, *, hours: float = 41, owners: tuple[str, ...] = ("U0ANA",)
) -> HomeChecklist:
    items = tuple(
        ChecklistItem(key=f"item-{n}", title=f"Item {n}", owner_id=owner)
        for n, owner in enumerate(owners)
    )
    return HomeChecklist(
        rem, "C0GROWTH", "aov", "Average order value", NOW + timedelta(hours=hours), items
    )


def page(
    goals: tuple[HomeGoal, ...] = (),
    checklists: tuple[HomeChecklist, ...] = (),
    channels: tuple[ChannelCounts, ...] = (),
) -> HomePage:
    return HomePage("U0ANA", NOW, goals, checklists, channels)


def rendered(home: HomePage, chart_file: str | None = None) -> list[dict[str, Any]]:
    blocks = [block.to_dict() for block in home_blocks(home, chart_file)]
    assert block_errors(blocks, VIEW_BLOCKS, "/view/blocks") == []
    return blocks


def text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize(
    ("home", "shown", "absent"),
    [
        pytest.param(
            page(),
            ["You own or lead no goals yet", "/goal set", "No open checklist items"],
            ["Your channels"],
            id="nothing",
        ),
        pytest.param(
            page((goal(band="red", value=100_000.0, deviation=-1 / 3),)),
            [":red_circle:", "1 red", "100k vs 150k", "<#C0GROWTH>", "you are its owner"],
            [":large_green_circle:"],
            id="red",
        ),
        pytest.param(
            page((goal(band="orange", value=120_000.0, deviation=-0.2),)),
            [":large_orange_circle:", "1 orange", "120k vs 150k", "task force"],
            [],
            id="orange",
        ),
        pytest.param(
            page((goal(band="yellow", value=140_000.0, deviation=-1 / 15),)),
            [":large_yellow_circle:", "1 yellow", "routine review"],
            [],
            id="yellow",
        ),
        pytest.param(
            page((goal(),)),
            [":large_green_circle:", "You own or lead 1 goal:", "1 green", "▁▂▃▅▆▇█"],
            ["goals:"],
            id="green-with-sparkline",
        ),
        pytest.param(
            page((goal(band="no_data", value=None, value_day=None),)),
            [":white_circle:", "no data yet"],
            [],
            id="no-data",
        ),
        pytest.param(
            page(
                (
                    goal(
                        band="orange",
                        deviation=-0.2,
                        escalation=EscalationStatus(
                            "orange", None, 7, 1, 3, NOW, timedelta(hours=41)
                        ),
                    ),
                )
            ),
            ["Escalated (orange)", "not acknowledged", "Remediation 1/3 done", "41h left"],
            [],
            id="escalated",
        ),
        pytest.param(
            page(channels=(ChannelCounts("C0GROWTH", (("red", 1), ("green", 2))),)),
            ["Your channels", "<#C0GROWTH> · :red_circle: 1 red · :large_green_circle: 2 green"],
            [],
            id="channels",
        ),
    ],
)
def test_goals_and_channels_read_as_in_the_digest(
    home: HomePage, shown: list[str], absent: list[str]
) -> None:
    """Each goal shows its band, value against target, sparkline and escalation; channels
    count their goals by band."""
    out = text(rendered(home))
    for words in shown:
        assert words in out
    for words in absent:
        assert words not in out


@pytest.mark.parametrize(
    ("item", "left"),
    [
        pytest.param(checklist(hours=41), "41h left", id="hours"),
        pytest.param(checklist(hours=0.5), "30m left", id="minutes"),
        pytest.param(checklist(hours=-1), "past due", id="past-due"),
    ],
)
def test_checklist_items_show_time_left_and_tick_like_the_thread(
    item: HomeChecklist, left: str
) -> None:
    """An open checklist shows its time left and boxes the thread's listener understands."""
    blocks = rendered(page(checklists=(item,)))
    assert left in text(blocks)
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert actions["block_id"] == checklist_block_id(7)
    [element] = actions["elements"]
    assert element["action_id"] == CHECKLIST_ACTION
    assert [o["value"] for o in element["options"]] == ["item-0"]
    assert "initial_options" not in element  # every item shown is open


def test_someone_elses_item_names_its_owner() -> None:
    """A goal's owner sees every open item; those handed to others say whose they are."""
    blocks = rendered(page(checklists=(checklist(owners=("U0ANA", "U0BOB")),)))
    [actions] = [b for b in blocks if b["type"] == "actions"]
    options = actions["elements"][0]["options"]
    assert "description" not in options[0]
    assert options[1]["description"]["text"] == "owner <@U0BOB>"


@pytest.mark.parametrize(
    ("goals", "checklists", "more"),
    [
        pytest.param(150, 0, "…and 57 more goals", id="goals"),  # one block is the chart menu
        pytest.param(10, 80, "…and 34 more checklists", id="checklists"),
        pytest.param(94, 0, None, id="exactly-full"),
    ],
)
def test_more_than_fit_stay_within_slacks_limit_and_say_so(
    goals: int, checklists: int, more: str | None
) -> None:
    """A page never exceeds 100 blocks; what is left out is counted."""
    home = page(
        tuple(goal(n) for n in range(goals)),
        tuple(checklist(n) for n in range(1, checklists + 1)),
    )
    blocks = rendered(home)
    assert len(blocks) <= MAX_HOME_BLOCKS
    if more is None:
        assert len(blocks) == MAX_HOME_BLOCKS
        assert "more" not in text(blocks)
    else:
        assert more in text(blocks)


def test_the_view_is_a_home_view() -> None:
    view = home_view(page((goal(),)))
    assert view["type"] == "home"
    assert view["blocks"] == rendered(page((goal(),)))


HISTORY = ((DAY - timedelta(days=1), 140_000.0), (DAY, 120_000.0))
ESCALATED = EscalationStatus("red", None, 7, 1, 3, NOW, timedelta(hours=41))
EVERY_BAND = (
    goal(1, band="red", value=120_000.0, deviation=-0.2, escalation=ESCALATED),
    goal(2, band="orange", value=120_000.0, deviation=-0.2),
    goal(3, band="yellow", value=140_000.0, deviation=-1 / 15),
    goal(4),
    goal(5, band="no_data", value=None, value_day=None),
)
FULL = replace(
    page(
        EVERY_BAND,
        (checklist(owners=("U0ANA", "U0BOB")),),
        (ChannelCounts("C0GROWTH", (("red", 1), ("green", 2))), ChannelCounts("C0QUIET", ())),
    ),
    chart=HomeChart(EVERY_BAND[0], HISTORY),
)


@pytest.mark.parametrize(
    ("home", "chart_file", "chart"),
    [
        pytest.param(FULL, "F0001", {"type": "image", "slack_file": {"id": "F0001"}}, id="image"),
        pytest.param(replace(FULL, chart=None), None, None, id="nothing-picked"),
        pytest.param(
            replace(FULL, chart=HomeChart(EVERY_BAND[0], ())),
            None,
            "No chart of *Daily active users* yet",
            id="no-values-yet",
        ),
        pytest.param(FULL, None, "could not be shown just now", id="upload-failed"),
    ],
)
def test_the_picked_goals_chart_is_shown_inline(
    home: HomePage, chart_file: str | None, chart: dict[str, Any] | str | None
) -> None:
    """Under the summary, a menu of the person's goals (the pick selected), then the picked
    goal's chart as an image of its uploaded file, or a line saying why there is none."""
    blocks = rendered(home, chart_file)
    menu = blocks[2]["accessory"]
    assert menu["action_id"] == CHART_ACTION
    assert [o["value"] for o in menu["options"]] == ["1", "2", "3", "4", "5"]
    assert menu.get("initial_option", {}).get("value") == ("1" if home.chart else None)
    after = blocks[3]
    if isinstance(chart, dict):
        assert chart.items() <= after.items()
        assert "Daily active users" in after["alt_text"]
    elif chart is None:
        assert after["type"] == "section"  # the goals follow at once
    else:
        assert after["type"] == "context"
        assert chart in text([after])


@pytest.mark.parametrize(
    ("home", "chart_file", "shown"),
    [
        pytest.param(
            FULL,
            "F0001",
            [
                "你的目标",
                "你负责或牵头 5 个目标：:red_circle: 红色 1 个 · :large_orange_circle: 橙色 1 个",
                "12万（目标 15万）",
                "<#C0GROWTH> · 你是负责人",
                "2 项待办",
                "截止 ",
                "11月27日 周五",
                "负责人 <@U0BOB>",
                "<#C0QUIET> · 没有进行中的目标",
                "Daily active users 的图表",
            ],
            id="full-page",
        ),
        pytest.param(
            replace(FULL, chart=HomeChart(EVERY_BAND[0], ())),
            None,
            ["*Daily active users* 还没有图表"],
            id="no-chart-yet",
        ),
        pytest.param(FULL, None, ["*Daily active users* 的图表暂时无法显示"], id="chart-failed"),
        pytest.param(
            page(),
            None,
            ["你还没有负责或牵头的目标", "`/goal set <metric> <target> owner @you`"],
            id="nothing",
        ),
        pytest.param(
            page(tuple(goal(n) for n in range(150)), tuple(checklist(n) for n in range(1, 80))),
            None,
            ["……另有", "个目标：在各频道输入 `/goal list`"],
            id="more-than-fit",
        ),
    ],
)
def test_home_reads_in_chinese(home: HomePage, chart_file: str | None, shown: list[str]) -> None:
    """A zh-CN reader's page has no English left but metric titles and item titles typed by
    people, fits Slack's limits, and reads as a Chinese team would say it."""
    with use_locale("zh-CN"):
        blocks = rendered(home, chart_file)
    words = texts_of(blocks)
    allowed = ("Daily active users", "Average order value", "Item")
    assert english_left(words, allowed=allowed) == []
    for expected in shown:
        assert expected in words
