"""Daily digests end to end: the real scheduler ticking, the fake Slack, a real database."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

import jobs.engine
from bot.runtime import RunningBot, start_bot
from bot.settings import Settings
from jobs.goals.service import Actor, GoalChange, set_goal
from jobs.metrics.catalog import MetricCatalog, load_catalog
from storage import claims, migrate
from storage import points as point_store
from storage.db import Database
from storage.models import ChannelSettings
from storage.points import DailyValue
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack

TEAM = "T0001"
# 09:30 in Berlin (the deployment timezone in bot_settings) on 25 Nov 2026 is 08:30 UTC.
DIGEST_AT = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
TODAY = date(2026, 11, 25)
TICK = 0.05


async def _admin() -> bool:
    return True


async def seed(database: Database, catalog: MetricCatalog) -> None:
    """Two channels: growth has an orange DAU goal and a green AOV goal; ops a red retention one."""
    actor = Actor("U0ANA", _admin)
    goals = [
        ("C0GROWTH", GoalChange("dau", 150_000)),
        ("C0GROWTH", GoalChange("aov", 520)),
        ("C0OPS", GoalChange("next_day_retention", 0.35)),
    ]
    async with database.transaction() as session:
        for channel, change in goals:
            await set_goal(
                session=session,
                catalog=catalog,
                team_id=TEAM,
                channel_id=channel,
                actor=actor,
                change=change,
                now=DIGEST_AT - timedelta(days=30),
            )
        series = {"dau": 120_000.0, "aov": 530.0, "next_day_retention": 0.24}
        for key, value in series.items():
            await point_store.upsert_points(
                session=session,
                team_id=TEAM,
                metric_key=key,
                values=[DailyValue(TODAY - timedelta(days=n), value) for n in range(10)],
                origin="test",
                now=DIGEST_AT,
            )


@pytest.fixture
async def seeded(bot_settings: Settings) -> None:
    database = Database(bot_settings.database_url)
    try:
        await migrate.upgrade(database)
        await seed(database, load_catalog(bot_settings.goalpulse_metrics))
    finally:
        await database.dispose()


@pytest.fixture
async def bots(bot_settings: Settings) -> AsyncIterator[Callable[[SettableClock], Any]]:
    started: list[RunningBot] = []

    async def starter(clock: SettableClock) -> RunningBot:
        running = await start_bot(bot_settings, host="127.0.0.1", clock=clock, tick_seconds=TICK)
        started.append(running)
        return running

    yield starter
    for running in started:
        if running.scheduler is not None and running.scheduler.running:
            await running.stop()


async def ticks(count: int = 6) -> None:
    """Let the scheduler tick a few times."""
    await asyncio.sleep(TICK * count)


def is_digest(body: dict[str, Any]) -> bool:
    """A digest post, not one of the escalation messages the same goals cause."""
    return str(body.get("text", "")).startswith("Goal health for ")


def digests(fake_slack: FakeSlack) -> list[dict[str, Any]]:
    """The digests Slack accepted."""
    return [message for message in fake_slack.posted_messages() if is_digest(message)]


def digest_calls(fake_slack: FakeSlack) -> list[Any]:
    """Every attempt to post a digest, accepted or not."""
    return [c for c in fake_slack.calls_to("chat.postMessage") if is_digest(c.body)]


async def wait_for_digests(fake_slack: FakeSlack, count: int, timeout: float = 10) -> None:  # noqa: ASYNC109
    """Wait until `count` digests were accepted."""
    async with asyncio.timeout(timeout):
        while len(digests(fake_slack)) < count:
            await ticks(1)


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text", "")) + str(message.get("blocks", ""))


async def test_each_channel_gets_one_digest_at_its_time(
    seeded: None, bots: Callable[[SettableClock], Any], fake_slack: FakeSlack
) -> None:
    """Nothing before 09:30; at 09:30 each channel gets exactly one digest with the right bands."""
    clock = SettableClock(DIGEST_AT - timedelta(minutes=1))
    await bots(clock)
    await ticks()
    assert digests(fake_slack) == []
    clock.set(DIGEST_AT)
    await wait_for_digests(fake_slack, 2)
    await ticks(10)
    messages = digests(fake_slack)
    assert sorted(m["channel"] for m in messages) == ["C0GROWTH", "C0OPS"]
    growth = next(m for m in messages if m["channel"] == "C0GROWTH")
    ops = next(m for m in messages if m["channel"] == "C0OPS")
    assert ":large_orange_circle:" in text_of(growth)
    assert ":large_green_circle:" in text_of(growth)
    assert ":red_circle:" in text_of(ops)
    # The chart follows through the two-step upload, into the digest's thread (drawn in a
    # process of its own, which takes a moment to start).
    completes = await fake_slack.wait_for("files.completeUploadExternal", count=2, timeout=30)
    posted_ts = {call.response["ts"] for call in digest_calls(fake_slack)}
    assert {c.body.get("thread_ts") for c in completes} == posted_ts


async def test_restart_after_digest_time_posts_missed_digests_once(
    seeded: None, bots: Callable[[SettableClock], Any], fake_slack: FakeSlack
) -> None:
    """A bot that was down at 09:30 posts each missed digest when it returns, and never again."""
    clock = SettableClock(DIGEST_AT - timedelta(hours=1))
    first = await bots(clock)
    await ticks()
    await first.stop()
    assert digests(fake_slack) == []
    clock.set(DIGEST_AT + timedelta(hours=2))
    second = await bots(clock)
    await wait_for_digests(fake_slack, 2)
    await ticks()
    await second.stop()
    third = await bots(clock)
    await ticks(10)
    await third.stop()
    assert len(digests(fake_slack)) == 2


async def test_two_bots_ticking_together_post_each_digest_once(
    seeded: None, bots: Callable[[SettableClock], Any], fake_slack: FakeSlack
) -> None:
    """Two bot instances on one database race for the same digests; each is posted once."""
    clock = SettableClock(DIGEST_AT)
    one, two = await asyncio.gather(bots(clock), bots(clock))
    outcomes = await asyncio.gather(
        *(bot.services.engine.digest_tick() for bot in (one, two) for _ in range(3))
    )
    await ticks(10)
    assert len(digests(fake_slack)) == 2
    sent = [o for batch in outcomes for o in batch if o.status == "sent"]
    assert len(sent) <= 2


async def test_slack_errors_delay_the_digest_but_it_arrives_once(
    seeded: None, bots: Callable[[SettableClock], Any], fake_slack: FakeSlack
) -> None:
    """Slack answering 500 releases the digest for a later try (a post is never resent in place:
    Slack may have taken it); a short 429 is waited out in place; each digest posts once."""
    fake_slack.fail_next("chat.postMessage", status=500, times=2, matching=is_digest)
    clock = SettableClock(DIGEST_AT)
    running = await bots(clock)
    keys = [f"digest:{TEAM}:{channel}:{TODAY}" for channel in ("C0GROWTH", "C0OPS")]

    async def released() -> bool:
        async with running.services.database.transaction() as session:
            rows = [await claims.get_claim(session=session, run_key=key) for key in keys]
        return all(row is not None and row.error and row.done_at is None for row in rows)

    async with asyncio.timeout(20):
        while not await released():
            await ticks(2)
    assert digests(fake_slack) == []
    assert len(digest_calls(fake_slack)) == 2
    # Still within the retry pause (backing off from a minute): nothing more is tried.
    await ticks(10)
    assert len(digest_calls(fake_slack)) == 2
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1, times=1, matching=is_digest)
    clock.advance(timedelta(minutes=2))
    await wait_for_digests(fake_slack, 2, timeout=15)
    await ticks(10)
    assert sorted(m["channel"] for m in digests(fake_slack)) == ["C0GROWTH", "C0OPS"]
    assert len(digest_calls(fake_slack)) == 5


async def test_eighty_goals_fit_slack_limits_and_the_chart_uploads(
    bot_settings: Settings, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """A channel with 80 goals gets one digest Slack accepts, and the chart's two-step upload."""
    metrics = tmp_path / "metrics.yml"
    metrics.write_text(
        "metrics:\n" + "".join(f"  m{i:02d}: {{source: {{kind: manual}}}}\n" for i in range(80))
    )
    settings = bot_settings.model_copy(update={"goalpulse_metrics": metrics})
    database = Database(settings.database_url)
    try:
        await migrate.upgrade(database)
        catalog = load_catalog(metrics)
        async with database.transaction() as session:
            for i in range(80):
                await set_goal(
                    session=session,
                    catalog=catalog,
                    team_id=TEAM,
                    channel_id="C0BIG",
                    actor=Actor("U0ANA", _admin),
                    change=GoalChange(f"m{i:02d}", 100),
                    now=DIGEST_AT,
                )
                await point_store.upsert_points(
                    session=session,
                    team_id=TEAM,
                    metric_key=f"m{i:02d}",
                    # One red goal: enough for the digest, and its remediation thread is short.
                    values=[
                        DailyValue(TODAY - timedelta(days=n), 60 if i == 0 else 95 + i % 10)
                        for n in range(5)
                    ],
                    origin="test",
                    now=DIGEST_AT,
                )
    finally:
        await database.dispose()
    running = await start_bot(
        settings, host="127.0.0.1", clock=SettableClock(DIGEST_AT), tick_seconds=TICK
    )
    try:
        await wait_for_digests(fake_slack, 1)
        await fake_slack.wait_for("files.completeUploadExternal", timeout=30)
    finally:
        await running.stop()
    [call] = digest_calls(fake_slack)
    assert call.accepted, call.response
    assert len(call.body["blocks"]) <= 50
    assert ":red_circle:" in str(call.body["blocks"])
    assert [c.method for c in fake_slack.calls if c.method.startswith(("files", "upload"))] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_digest_is_delivered_on_its_post_and_a_failed_chart_never_reposts_it(
    seeded: None, bots: Callable[[SettableClock], Any], fake_slack: FakeSlack
) -> None:
    """The run claim completes once Slack accepted the digest, before its chart; a chart Slack
    refuses (past the client's retries) is given up, and the digest stays posted once."""
    fake_slack.fail_next("files.getUploadURLExternal", status=500, times=6)  # 3 tries a chart
    running = await bots(SettableClock(DIGEST_AT))
    await wait_for_digests(fake_slack, 2)
    posted = {call.body["channel"]: call.response["ts"] for call in digest_calls(fake_slack)}

    async def recorded() -> dict[str, str]:
        """The ts each done claim recorded, by channel."""
        async with running.services.database.transaction() as session:
            rows = [
                await claims.get_claim(session=session, run_key=f"digest:{TEAM}:{c}:{TODAY}")
                for c in posted
            ]
        return {r.result["channel"]: r.result["ts"] for r in rows if r and r.done_at}

    async with asyncio.timeout(10):
        while await recorded() != posted:
            await ticks(1)
    await fake_slack.wait_for("files.getUploadURLExternal", count=6, timeout=30)
    await ticks(10)
    assert fake_slack.calls_to("files.completeUploadExternal") == []
    assert sorted(m["channel"] for m in digests(fake_slack)) == ["C0GROWTH", "C0OPS"]
    assert len(digest_calls(fake_slack)) == 2


async def test_a_fan_out_evaluates_the_workspace_once_a_lone_digest_its_channel(
    seeded: None, bot_settings: Settings, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With most channels due together the tick evaluates the workspace once, not each channel
    before its digest; a channel due on its own is evaluated alone. Either way the digest shows
    today's bands."""
    scopes: Counter[str | None] = Counter()
    real_evaluate = jobs.engine.evaluate

    async def counting(**kwargs: Any) -> Any:
        scopes[kwargs.get("channel_id")] += 1
        return await real_evaluate(**kwargs)

    monkeypatch.setattr(jobs.engine, "evaluate", counting)
    clock = SettableClock(DIGEST_AT)
    running = await start_bot(bot_settings, host="127.0.0.1", clock=clock, schedule=False)
    try:
        engine = running.services.engine
        assert engine is not None
        outcomes = await engine.digest_tick()  # both channels due: a fan-out
        assert [o.status for o in outcomes] == ["sent", "sent"]
        assert scopes == {None: 1}
        # Three more channels, and ops, now want their digests at 18:00: tomorrow at 09:30
        # only growth is due, one channel of five.
        catalog = load_catalog(bot_settings.goalpulse_metrics)
        later = ["C0OPS", "C0X1", "C0X2", "C0X3"]
        async with running.services.database.transaction() as session:
            for channel in later[1:]:
                await set_goal(
                    session=session,
                    catalog=catalog,
                    team_id=TEAM,
                    channel_id=channel,
                    actor=Actor("U0ANA", _admin),
                    change=GoalChange("aov", 520),
                    now=DIGEST_AT,
                )
            rows = [
                {"team_id": TEAM, "channel_id": c, "digest_time": "18:00", "updated_at": DIGEST_AT}
                for c in later
            ]
            await session.exec(insert(ChannelSettings).values(rows))
        scopes.clear()
        clock.set(DIGEST_AT + timedelta(days=1))
        [outcome] = await engine.digest_tick()
        assert outcome.status == "sent"
        assert scopes == {"C0GROWTH": 1}
    finally:
        await running.stop()
    growth = [m for m in digests(fake_slack) if m["channel"] == "C0GROWTH"]
    assert len(growth) == 2
    assert all(":large_orange_circle:" in text_of(m) for m in growth)
