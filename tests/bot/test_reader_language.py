"""What the engine sends is written in its reader's language: a channel's (else its workspace's),
and in a DM the person's Slack locale. The messenger per workspace (bot/oauth/messengers.py)
against the fake Slack and a real database."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.oauth.messengers import TeamMessengers
from bot.pacing import WorkspacePacer
from bot.readers import SlackLocales
from bot.slack_client import build_client
from storage import workspace
from storage.db import Database
from tests.bot.test_slack_messenger import CHECKLIST, DM, report
from tests.conftest import BOT_TOKEN
from tests.support.chinese import english_left
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack

TEAM = "T0001"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def messengers(database: Database, fake_slack: FakeSlack) -> Iterator[TeamMessengers]:
    client = build_client(BOT_TOKEN, api_url=fake_slack.api_url)
    clock = SettableClock(NOW)
    with ThreadPoolExecutor(max_workers=1) as charts:
        yield TeamMessengers(
            new_client=lambda: client,
            tokens=None,
            workspace_pacer=WorkspacePacer(1000),
            database=database,
            locales=SlackLocales(clock),
            clock=clock,
            chart_executor=charts,
        )


async def _choose(
    database: Database, *, channel: str | None = None, workspace_language: str | None = None
) -> None:
    async with database.transaction() as session:
        if workspace_language is not None:
            row = await workspace.workspace_settings_for_update(
                session=session, team_id=TEAM, now=NOW
            )
            row.language = workspace_language
        if channel is not None:
            settings = await workspace.channel_settings_for_update(
                session=session, team_id=TEAM, channel_id=channel, now=NOW
            )
            settings.language = "zh-CN"


def _text(fake_slack: FakeSlack, channel: str) -> str:
    [posted] = fake_slack.posted_messages(channel)
    return str(posted["text"]) + "\n" + str(posted["blocks"])


async def test_a_digest_follows_its_channel(
    messengers: TeamMessengers, database: Database, fake_slack: FakeSlack
) -> None:
    """A channel that chose Chinese gets its digest in Chinese; the channel beside it, in the
    same workspace, keeps English."""
    await _choose(database, channel="C0ZH")
    messenger = messengers(TEAM)
    await messenger.publish_digest(replace(report("C0ZH"), team_id=TEAM))
    await messenger.publish_digest(replace(report("C0EN"), team_id=TEAM))

    assert "目标健康度" in _text(fake_slack, "C0ZH")
    assert "Goal health" in _text(fake_slack, "C0EN")
    assert "目标健康度" not in _text(fake_slack, "C0EN")


@pytest.mark.parametrize(
    ("slack_locale", "workspace_language", "chinese"),
    [
        pytest.param("zh-CN", None, True, id="person-chinese-workspace-english"),
        pytest.param("en-US", "zh-CN", False, id="person-english-workspace-chinese"),
        pytest.param("ja-JP", "zh-CN", True, id="unspoken-locale-falls-to-workspace"),
        pytest.param(None, None, False, id="nothing-known-english"),
    ],
)
async def test_a_dm_and_its_redraw_follow_the_person(
    messengers: TeamMessengers,
    database: Database,
    fake_slack: FakeSlack,
    slack_locale: str | None,
    workspace_language: str | None,
    chinese: bool,
) -> None:
    """An escalation DM is written in the person's Slack locale when goalpulse speaks it, else
    in the workspace's language; redrawing it (a click) keeps that language."""
    user = fake_slack.add_user("U0LI")
    if slack_locale is not None:
        user["locale"] = slack_locale
    await _choose(database, workspace_language=workspace_language)
    messenger = messengers(TEAM)

    channel, ts = await messenger.send_dm("U0LI", DM)
    await messenger.update(channel, ts, replace(DM, acknowledged_by="U0LI"))

    [sent] = fake_slack.posted_messages(channel)
    [redrawn] = fake_slack.calls_to("chat.update")
    for text in (str(sent["text"]), str(redrawn.body["text"])):
        assert (english_left(text, allowed=(DM.goal.title,)) == []) is chinese, text


async def test_a_thread_post_follows_its_channel(
    messengers: TeamMessengers, database: Database, fake_slack: FakeSlack
) -> None:
    """A remediation checklist posted in a Chinese channel is in Chinese."""
    await _choose(database, channel="C0ZH")
    await messengers(TEAM).post("C0ZH", CHECKLIST)
    posted = _text(fake_slack, "C0ZH")
    assert "剩余" in posted or "逾期" in posted, posted
