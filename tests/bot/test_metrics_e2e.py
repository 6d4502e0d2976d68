"""GET /metrics on a running bot: the figures an operator graphs move as the bot works.

A real bot (HTTP server, scheduler on a fast tick, the outbox) talks to the fake Slack; the test
scrapes /metrics the way Prometheus does, before and after a digest and an escalation DM.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.runtime import RunningBot
from bot.settings import Settings
from tests.conftest import SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.prometheus import scrape, series, value
from tests.support.signing import SignedSlack
from tests.support.world import CHANNEL, World, at

START = at(2026, 11, 25, 9)  # 10:00 in Berlin (the channel), 09:00 in London (the people)
CALLS = "goalpulse_slack_calls_total"


@pytest.fixture
async def world(bot_settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[World]:
    """One bot; an average-order-value goal of 500 on target for ten days; Li leads."""
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    await world.say("config digest 18:00")
    await world.say("config lead <@U0LI|li>")
    yield world
    await world.stop()
    await world.database.dispose()


def accepted(world: World, method: str) -> int:
    return len([c for c in world.slack.calls_to(method) if c.accepted])


async def test_slack_and_outbox_figures_follow_a_digest_and_a_dm(world: World) -> None:
    """`/goal digest` and an orange check-in (the lead's DM and the thread, sent by the outbox)
    show as accepted chat.postMessage calls, a conversations.open, and outbox rows sent."""
    url = world.bots[0].url
    await world.settle()  # nothing from the set-up still in flight between the two counts
    before = await scrape(url)
    posts_before = accepted(world, "chat.postMessage")

    await world.say("digest")
    await world.wait_for_call("chat.postMessage", lambda body: body.get("channel") == CHANNEL)
    await world.say("checkin aov 395")  # -21%: orange
    await world.settle()
    after = await scrape(url)

    posted = accepted(world, "chat.postMessage") - posts_before
    assert posted >= 3, "the digest, the lead's DM and the thread's parent at least"
    ok = value(after, CALLS, method="chat.postMessage", outcome="ok")
    assert ok - value(before, CALLS, method="chat.postMessage", outcome="ok") == posted
    assert value(after, CALLS, method="conversations.open", outcome="ok") >= 1
    timed = value(after, "goalpulse_slack_call_duration_seconds_count", method="chat.postMessage")
    assert timed == sum(
        v for labels, v in series(after, CALLS).items() if ("method", "chat.postMessage") in labels
    )

    rows = await world.outbox()
    sent = len([row for row in rows if row.state == "sent"])
    assert sent >= 2
    assert value(after, "goalpulse_outbox_rows", state="sent") == sent
    assert value(before, "goalpulse_outbox_rows", state="sent") < sent
    pending = len([row for row in rows if row.done_at is None])
    assert value(after, "goalpulse_outbox_rows", state="pending") == pending
    assert value(after, "goalpulse_outbox_oldest_due_seconds") == 0
    assert value(after, "goalpulse_database_up") == 1
    assert value(after, "goalpulse_jobs_run_total", job="timers_tick") > 0
    assert value(after, "goalpulse_jobs_failed_total", job="timers_tick") == 0


async def test_a_429_is_counted_whether_retried_in_place_or_handed_back(world: World) -> None:
    """A short Retry-After is waited out inside the call; a long one goes back to the outbox,
    which sends the DM later. Both are counted, and so is the call Slack refused."""
    url = world.bots[0].url
    world.slack.fail_next("chat.postMessage", status=429, retry_after=1)
    await world.say("digest")
    await world.wait_for_call("chat.postMessage", lambda body: body.get("channel") == CHANNEL)
    world.slack.fail_next("conversations.open", status=429, retry_after=30)
    await world.say("checkin aov 395")
    await world.settle()

    samples = await scrape(url)
    rate_limited = "goalpulse_slack_rate_limited_total"
    assert value(samples, rate_limited, method="chat.postMessage", handling="retried") == 1
    assert value(samples, rate_limited, method="conversations.open", handling="returned") == 1
    assert value(samples, CALLS, method="conversations.open", outcome="ratelimited") == 1
    assert world.dms("U0LI") == []

    await world.advance(timedelta(minutes=2))
    assert len(world.dms("U0LI")) == 1
    samples = await scrape(url)
    assert value(samples, CALLS, method="conversations.open", outcome="ok") >= 1


async def test_a_failing_job_is_counted_and_logged_and_the_rest_carry_on(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """With the run-claim table gone every digest tick fails: each failure is logged and
    counted, and the timers tick still sends the lead's DM."""
    async with world.database.transaction() as session:
        await session.exec(text("DROP TABLE run_claim"))  # type: ignore[call-overload]
    with caplog.at_level(logging.ERROR, logger="goalpulse.scheduler"):
        await world.wait_ticks(10)
        await world.say("checkin aov 395")
        await world.settle()

    samples = await scrape(world.bots[0].url)
    failed = value(samples, "goalpulse_jobs_failed_total", job="digest_tick")
    assert failed >= 2
    assert value(samples, "goalpulse_jobs_run_total", job="digest_tick") >= failed
    assert value(samples, "goalpulse_jobs_failed_total", job="timers_tick") == 0
    assert len(world.dms("U0LI")) == 1
    logged = [r for r in caplog.records if r.getMessage() == "job digest_tick failed"]
    assert logged
    assert all(record.exc_info for record in logged)


async def test_listener_calls_are_counted_and_the_scrape_reads_the_database(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """`/goal set` opens the form through Bolt's own per-request client: counted too."""
    status, _, _ = await slack.command("set")
    assert status == 200
    await fake_slack.wait_for("views.open")
    samples = await scrape(bot.url)
    assert value(samples, CALLS, method="views.open", outcome="ok") == 1
    assert value(samples, "goalpulse_slack_call_duration_seconds_count", method="views.open") == 1
    assert value(samples, "goalpulse_database_up") == 1
    assert value(samples, "goalpulse_outbox_rows", state="pending") == 0
    # dau is pulled from a CSV and was never pulled: not failing, and no freshness yet.
    assert value(samples, "goalpulse_source_failing", metric="dau") == 0
    assert series(samples, "goalpulse_source_last_success_age_seconds") == {}
