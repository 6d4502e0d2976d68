"""`/goal digest` posts a channel's digest at most once an hour, across processes; `preview` is
never limited. Two bots on one database and a clock the test sets."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.commands.manual_digest import MANUAL_DIGEST_MINUTES
from bot.settings import Settings
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.conversation import replies, reply_text
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack
from tests.support.world import CHANNEL, World, at

# 06:00 in Berlin (the deployment's timezone): hours before the channel's 09:30 digest.
START = at(2026, 11, 25, 5)
_asked = itertools.count(1)


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """Two bots; a green average-order-value goal in the growth channel."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start(2)
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    yield world
    await world.stop()
    await world.database.dispose()


async def ask(world: World, text: str, *, bot: int = 0, user: str = "U0ANA") -> str:
    """`/goal <text>` sent to one of the bots; the reply its sender sees."""
    async with SignedSlack(
        bot_url=world.bots[bot].url,
        signing_secret=SIGNING_SECRET,
        response_url=world.slack.response_url,
    ) as slack:
        form, tag = slack.command_body(text, user=user, channel=CHANNEL, tag=f"ask{next(_asked)}")
        status, raw = await slack.post(form)
        assert status == 200
        if raw.startswith("{"):
            return reply_text(json.loads(raw))
        [reply, *_] = await replies(world.slack, tag)
    return reply_text(reply)


def posted_digests(world: World) -> list[str]:
    """The digests Slack accepted in the channel, by their ts."""
    return [
        str(message["ts"])
        for message in world.posted(CHANNEL)
        if str(message.get("text", "")).startswith("Goal health for ")
    ]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        pytest.param(
            at(2026, 11, 25, 5, 5),
            at(2026, 11, 25, 5, 15),
            ["was posted at 06:05 by <@U0ANA>", "next can go out from 07:05 (Europe/Berlin)"],
            id="ten-minutes-later",
        ),
        pytest.param(
            at(2026, 11, 25, 5, 55),
            at(2026, 11, 25, 6, 5),
            ["was posted at 06:55 by <@U0ANA>", "next can go out from 07:55 (Europe/Berlin)"],
            id="next-hour-but-within-sixty-minutes",
        ),
        pytest.param(
            at(2026, 11, 25, 5, 5),
            at(2026, 11, 25, 6, 4),
            ["was posted at 06:05 by <@U0ANA>", "next can go out from 07:05 (Europe/Berlin)"],
            id="a-minute-short-of-an-hour",
        ),
    ],
)
async def test_a_second_digest_within_the_hour_is_refused(
    world: World, first: datetime, second: datetime, expected: list[str]
) -> None:
    """Within 60 minutes of a posted digest, another `/goal digest` (from anyone, to either
    process) is answered with when the last went out and when the next may; nothing posts."""
    world.clock.set(first)
    assert "Posted this channel's digest" in await ask(world, "digest")
    assert len(posted_digests(world)) == 1
    world.clock.set(second)
    refused = await ask(world, "digest", bot=1, user="U0BOB")
    for fragment in expected:
        assert fragment in refused
    assert f"at most once every {MANUAL_DIGEST_MINUTES} minutes" in refused
    assert "Try: `/goal digest preview`" in refused
    await world.settle()
    assert len(posted_digests(world)) == 1


async def test_a_digest_an_hour_later_is_posted(world: World) -> None:
    """Sixty minutes after the last one, `/goal digest` posts again."""
    world.clock.set(at(2026, 11, 25, 5, 5))
    await ask(world, "digest")
    world.clock.set(at(2026, 11, 25, 5, 5) + timedelta(minutes=MANUAL_DIGEST_MINUTES))
    assert "Posted this channel's digest" in await ask(world, "digest", bot=1)
    assert len(posted_digests(world)) == 2


async def test_preview_is_not_limited(world: World) -> None:
    """Right after a posted digest, `preview` still shows it to the asker; nothing is posted."""
    world.clock.set(at(2026, 11, 25, 5, 5))
    await ask(world, "digest")
    world.clock.advance(timedelta(minutes=1))
    for bot in (0, 1, 0):
        assert "Goal health" in await ask(world, "digest preview", bot=bot, user="U0BOB")
    assert len(posted_digests(world)) == 1


async def test_a_digest_slack_refused_does_not_count(world: World) -> None:
    """A post Slack refused leaves no mark: the next `/goal digest` tries again at once."""
    world.clock.set(at(2026, 11, 25, 5, 5))
    refusing = [True]  # Slack refuses every digest post (retries included) until told not to
    world.slack.fail_next(
        "chat.postMessage",
        status=500,
        times=3,
        matching=lambda body: refusing[0] and str(body.get("text", "")).startswith("Goal health"),
    )
    assert "Something went wrong" in await ask(world, "digest")
    refusing[0] = False
    assert posted_digests(world) == []
    assert "Posted this channel's digest" in await ask(world, "digest", bot=1)
    assert len(posted_digests(world)) == 1
