"""The at-risk list end to end: `/goal show` of a goal on an at-risk measure has a button; a
signed click on it by the goal's lead, owner or an admin brings the CSV of the customers at risk
to their DM (computed from a real orders file); anyone else is refused and nothing is sent."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.constants import AT_RISK_LIST_ACTION
from bot.render.at_risk import BUTTON_TEXT, PREPARING_TEXT
from bot.runtime import RunningBot, start_bot
from bot.settings import Settings
from jobs.customers.measures import AT_RISK_COLUMNS
from storage import points as point_store
from storage.points import DailyValue
from tests.support.clicks import find_elements
from tests.support.clock import SettableClock
from tests.support.conversation import TEAM, reply_text, run
from tests.support.fake_slack import FakeSlack
from tests.support.lapsed_orders import LAPSED, ORDERS, STEADY, write_orders
from tests.support.questions import ask, press_in_reply, readable
from tests.support.signing import SignedSlack
from tests.support.world import at

NOW = at(2026, 11, 25, 9)  # 10:00 in Berlin, the deployment's timezone
TODAY = NOW.date()
METRICS = {
    "at_risk": {"source": {"kind": "dataset", "measure": "customers_at_risk"}},
    "hv_at_risk": {"source": {"kind": "dataset", "measure": "high_value_at_risk"}},
    "hv_share": {"source": {"kind": "dataset", "measure": "high_value_share"}},
}  # fmt: skip
LEAD, OWNER, ADMIN, OTHER = "U0LI", "U0ANA", "U0ADMIN", "U0BOB"


@pytest.fixture
def metrics_path(tmp_path: Path) -> Path:
    """metrics.yml declaring the orders dataset, beside a real orders file."""
    write_orders(tmp_path, TODAY)
    path = tmp_path / "metrics.yml"
    document = {"datasets": {"orders": ORDERS}, "metrics": METRICS}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
async def bot(bot_settings: Settings) -> AsyncIterator[RunningBot]:
    """The bot on a clock set to NOW, without the scheduler; li leads the channel."""
    running = await start_bot(
        bot_settings, host="127.0.0.1", schedule=False, clock=SettableClock(NOW)
    )
    async with running.services.database.transaction() as session:
        for key in METRICS:  # a value today: setting a goal pulls nothing
            await point_store.upsert_points(
                session=session,
                team_id=TEAM,
                metric_key=key,
                values=[DailyValue(TODAY, 6.0)],
                origin="test",
                now=NOW,
            )
    yield running
    await running.stop()


@pytest.fixture
async def goal(bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack) -> str:
    """ana's goal on the customers at risk, in a channel li leads; the metric's key."""
    await run(slack, fake_slack, f"config lead <@{LEAD}|li>", user=ADMIN)
    await run(slack, fake_slack, "set at_risk 8 lower", user=OWNER)
    return "at_risk"


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded, where, and with which comment."""

    filename: str
    channel: str
    comment: str
    content: bytes


def uploads(fake_slack: FakeSlack) -> list[Upload]:
    """Every file uploaded and shared, in order."""
    names = {
        c.response["file_id"]: c.body["filename"]
        for c in fake_slack.calls_to("files.getUploadURLExternal")
        if c.accepted
    }
    contents = {c.body["file_id"]: c.body["content"] for c in fake_slack.calls_to("upload")}
    found = []
    for call in fake_slack.calls_to("files.completeUploadExternal"):
        if call.accepted:
            channel, comment = call.body["channel_id"], call.body.get("initial_comment", "")
            for file in call.body["files"]:
                found.append(Upload(names[file["id"]], channel, comment, contents[file["id"]]))
    return found


def dm_of(fake_slack: FakeSlack, user: str) -> str | None:
    """The DM channel the bot opened with `user`, if any."""
    for call in fake_slack.calls_to("conversations.open"):
        if call.body.get("users") == user and call.accepted:
            return str(call.response["channel"]["id"])
    return None


def dm_texts(fake_slack: FakeSlack, user: str) -> list[str]:
    """The texts of the messages posted in the DM with `user`."""
    channel = dm_of(fake_slack, user)
    return [
        str(c.body.get("text"))
        for c in fake_slack.calls_to("chat.postMessage")
        if channel is not None and c.response and c.response.get("channel") == channel
    ]


async def show(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, key: str, user: str
) -> Any:
    """`/goal show <key>`'s reply to `user` (whom alone it shows), once its chart (if any) has
    gone too."""
    body = await ask(slack, fake_slack, f"show {key}", user=user)
    await bot.services.background.drain()
    return body


async def click_list(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, shown: Any, user: str
) -> str:
    """Press the list button of a `/goal show` reply as `user`; the ephemeral answer, once
    everything the click started is done."""
    answer = await press_in_reply(slack, fake_slack, shown, AT_RISK_LIST_ACTION, user=user)
    await bot.services.background.drain()
    assert answer["response_type"] == "ephemeral"
    assert answer.get("replace_original") is False
    return reply_text(answer)


@pytest.mark.parametrize(
    "user",
    [
        pytest.param(LEAD, id="lead"),
        pytest.param(OWNER, id="owner"),
        pytest.param(ADMIN, id="admin"),
    ],
)
async def test_the_list_of_lapsed_customers_arrives_in_the_clickers_dm(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, goal: str, user: str
) -> None:
    """The channel's lead, the goal's owner and an admin each get the CSV in their own DM:
    header AT_RISK_COLUMNS, one row per lapsed customer, no steady one."""
    shown = await show(bot, slack, fake_slack, goal, user)
    answer = await click_list(bot, slack, fake_slack, shown, user)
    assert PREPARING_TEXT in answer
    [upload] = [u for u in uploads(fake_slack) if u.filename.endswith(".csv")]
    assert upload.filename == f"at_risk-at-risk-{TODAY}.csv"
    assert upload.channel == dm_of(fake_slack, user)
    [header, *rows] = list(csv.reader(io.StringIO(upload.content.decode("utf-8"))))
    assert tuple(header) == AT_RISK_COLUMNS
    ids = [row[0] for row in rows]
    assert LAPSED[0] in ids
    assert STEADY[0] not in ids
    assert sorted(ids) == sorted(LAPSED)
    assert f"*{len(LAPSED)} customers at risk* on `at_risk` as of Wed 25 Nov 2026" in (
        upload.comment
    )


async def test_anyone_else_is_refused_and_nothing_is_sent(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, goal: str
) -> None:
    """Someone who is neither lead, owner nor admin is told who may have the list; no DM is
    opened or written to and no file is uploaded anywhere."""
    shown = await show(bot, slack, fake_slack, goal, OTHER)
    uploaded = len(fake_slack.calls_to("files.getUploadURLExternal"))
    opened = len(fake_slack.calls_to("conversations.open"))
    answer = await click_list(bot, slack, fake_slack, shown, OTHER)
    assert (
        f"only the lead (<@{LEAD}>), the goal's owner (<@{OWNER}>) or a workspace admin can "
        "have it" in answer
    )
    assert PREPARING_TEXT not in answer
    assert len(fake_slack.calls_to("files.getUploadURLExternal")) == uploaded
    assert len(fake_slack.calls_to("conversations.open")) == opened
    assert dm_texts(fake_slack, OTHER) == []


async def test_a_dm_slack_refuses_is_told_to_the_clicker(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, goal: str
) -> None:
    """Slack will not open the DM: the lead is told so, ephemerally, and nothing is uploaded."""
    fake_slack.refuse("conversations.open", "user_not_found")
    shown = await show(bot, slack, fake_slack, goal, LEAD)
    assert PREPARING_TEXT in await click_list(bot, slack, fake_slack, shown, LEAD)
    told = [
        text
        for call in fake_slack.calls_to("response_url")
        if "could not be sent to your DM" in (text := str(call.body.get("text")))
    ]
    assert told == [
        ":warning: The list of customers at risk on `at_risk` could not be sent to your DM: "
        "Slack answered `user_not_found`."
    ]
    assert not [u for u in uploads(fake_slack) if u.filename.endswith(".csv")]


async def test_nobody_at_risk_is_a_dm_without_a_file(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, goal: str
) -> None:
    """No high-value customer is at risk: the owner is told so, and no file is sent."""
    await run(slack, fake_slack, "set hv_at_risk 8 lower", user=OWNER)
    await click_list(
        bot, slack, fake_slack, await show(bot, slack, fake_slack, "hv_at_risk", OWNER), OWNER
    )
    assert not [u for u in uploads(fake_slack) if u.filename.endswith(".csv")]
    [text] = dm_texts(fake_slack, OWNER)
    assert text.startswith(":white_check_mark: Nobody is at risk on `hv_at_risk` as of Wed 25")


async def test_an_unreadable_dataset_is_one_line_naming_no_location(
    bot: RunningBot,
    slack: SignedSlack,
    fake_slack: FakeSlack,
    goal: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The orders file is gone: the lead's DM says why in one line, without the path; no log
    line has it either."""
    (tmp_path / "orders" / "orders.csv").unlink()
    caplog.set_level(logging.INFO)
    await click_list(bot, slack, fake_slack, await show(bot, slack, fake_slack, goal, LEAD), LEAD)
    assert not [u for u in uploads(fake_slack) if u.filename.endswith(".csv")]
    [text] = dm_texts(fake_slack, LEAD)
    assert text == (
        ":warning: Could not make the list of customers at risk on `at_risk`: the orders "
        "dataset could not be read (no csv files found)."
    )
    assert str(tmp_path) not in caplog.text


async def test_only_a_goal_on_an_at_risk_measure_shows_the_button(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, goal: str
) -> None:
    """`/goal show` of the at-risk goal has the button; of a tier-share goal, none."""
    await run(slack, fake_slack, "set hv_share 10%", user=OWNER)
    at_risk = await show(bot, slack, fake_slack, goal, OWNER)
    share = await show(bot, slack, fake_slack, "hv_share", OWNER)
    [(_, button)] = find_elements(at_risk, AT_RISK_LIST_ACTION)
    assert button["text"]["text"] == BUTTON_TEXT
    assert find_elements(share, AT_RISK_LIST_ACTION) == []
    assert BUTTON_TEXT not in readable(share)
