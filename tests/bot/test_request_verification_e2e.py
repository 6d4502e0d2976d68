"""Only requests signed with the app's signing secret, and recent, are acted on."""

from __future__ import annotations

import time

import aiohttp
import pytest

from bot.runtime import RunningBot
from tests.support.conversation import stored_goals
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack, slack_signature

NOW = int(time.time())


CASES = [
    ("wrong-secret", lambda body: {"signature": slack_signature("wrong", str(NOW), body)}),
    (
        "older-than-five-minutes",
        lambda body: {
            "timestamp": str(NOW - 301),
            "signature": slack_signature("test-signing-secret", str(NOW - 301), body),
        },
    ),
    (
        "tampered-body",
        lambda body: {"signature": slack_signature("test-signing-secret", str(NOW), body + "x")},
    ),
    ("no-signature", lambda body: {"sign": False}),
    ("garbage-signature", lambda body: {"signature": "v0=deadbeef"}),
]


@pytest.mark.parametrize("make_headers", [c[1] for c in CASES], ids=[c[0] for c in CASES])
async def test_unverified_request_is_rejected_and_changes_nothing(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, make_headers: object
) -> None:
    """A bad, stale or missing signature gets 401; no goal is stored, Slack is not called."""
    body, _ = slack.command_body("set dau 150k")
    options = make_headers(body)  # type: ignore[operator]
    status, _text = await slack.post(body, **{"timestamp": str(NOW), **options})
    assert status == 401
    await bot.services.background.drain()
    assert await stored_goals(bot) == []
    assert fake_slack.calls == []


async def test_correctly_signed_request_is_accepted(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """The same request, signed with the right secret just now, is acted on."""
    body, _ = slack.command_body("set dau 150k")
    status, _text = await slack.post(body)
    assert status == 200
    await bot.services.background.drain()
    assert [goal.metric_key for goal in await stored_goals(bot)] == ["dau"]


async def test_health_check_answers_without_a_signature(bot: RunningBot) -> None:
    """GET /healthz is for load balancers: 200 with a status, no Slack signature needed."""
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
