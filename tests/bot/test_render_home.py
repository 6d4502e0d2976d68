"""A person's Home tab as Block Kit: `bot.render.home`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.constants import CHECKLIST_ACTION, checklist_block_id
from bot.render.home import MAX_HOME_BLOCKS, home_blocks, home_view
from jobs.digest.model import EscalationStatus
from jobs.escalation.remediation import ChecklistItem
from jobs.home.model import ChannelCounts, HomeChecklist, HomeGoal, HomePage
from tests.bot.test_render_digest import BASE
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


def rendered(home: HomePage) -> list[dict[str, Any]]:
    blocks = [block.to_dict() for block in home_blocks(home)]
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
        pytest.param(150, 0, "…and 56 more goals", id="goals"),
        pytest.param(10, 80, "…and 34 more checklists", id="checklists"),
        pytest.param(95, 0, None, id="exactly-full"),
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
