"""A running goalpulse (one or more processes on one database) with a clock the test turns.

The bots run their real scheduler with a fast tick; people talk to them through signed HTTP
requests; Slack is the fake Web API on loopback. `settle()` waits until nothing due is left in
the outbox, so a test can then assert exactly what was sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.oauth.messengers import TeamMessengers
from bot.pacing import ChannelPacer
from bot.runtime import RunningBot, start_bot
from bot.settings import Settings
from storage import points as point_store
from storage.db import Database
from storage.models import EpisodeRow, Goal, GoalStatus, OutboxMessage, RemediationRow, RunClaim
from storage.points import DailyValue
from tests.support.charts import CHART_THREAD
from tests.support.clock import SettableClock
from tests.support.conversation import reply_text
from tests.support.fake_slack import Call, FakeSlack
from tests.support.signing import SignedSlack

TEAM, CHANNEL = "T0001", "C0GROWTH"
TICK = 0.1
# Seconds between two messages into one channel: the clock is the test's, not Slack's.
FAST_PACING = 0.01


class World:
    """Bots sharing a database and a clock, and what they sent to the fake Slack."""

    def __init__(
        self,
        settings: Settings,
        fake_slack: FakeSlack,
        clock: SettableClock,
        signing_secret: str,
        *,
        pacing: float | None = FAST_PACING,
        tick: float = TICK,
    ) -> None:
        """`pacing` replaces the bots' one-message-a-second-per-channel pacing (real time)
        with that many seconds a message, for tests about something else (None keeps Slack's
        real pacing); `tick` is how often (real seconds) the bots' jobs run and `settle`
        looks."""
        self.settings = settings
        self.pacing = pacing
        self.tick = tick
        self.slack = fake_slack
        self.clock = clock
        self.signing_secret = signing_secret
        self.bots: list[RunningBot] = []
        self.database = Database(settings.database_url)
        self._count = 0

    async def start(self, count: int = 1) -> None:
        """Start `count` more bot processes."""
        for _ in range(count):
            running = await start_bot(
                self.settings,
                host="127.0.0.1",
                clock=self.clock,
                tick_seconds=self.tick,
                chart_executor=CHART_THREAD,
                evaluate_in_process=True,
            )
            messengers = running.services.engine.context.messengers
            if self.pacing is not None and isinstance(messengers, TeamMessengers):
                messengers.set_pacer(ChannelPacer(interval=self.pacing))
            self.bots.append(running)

    async def stop(self) -> None:
        """Stop every bot (the database stays)."""
        for running in self.bots:
            await running.stop()
        self.bots.clear()

    async def restart(self) -> None:
        """Stop every bot and start as many fresh ones: nothing survives but the database."""
        count = len(self.bots)
        await self.stop()
        await self.start(count)

    async def kill(self) -> None:
        """Stop every bot the hard way: scheduled work is cancelled wherever it is, a Slack call
        in flight included, with no grace to finish it (as when the process is killed)."""
        for running in self.bots:
            if running.scheduler is not None:
                await running.scheduler.stop(grace=0)
            await running.stop()
        self.bots.clear()

    @asynccontextmanager
    async def _signed(self) -> AsyncIterator[SignedSlack]:
        async with SignedSlack(
            bot_url=self.bots[0].url,
            signing_secret=self.signing_secret,
            response_url=self.slack.response_url,
        ) as sender:
            yield sender

    async def say(self, text: str, *, user: str = "U0ANA") -> str:
        """`/goal <text>` from `user` in the growth channel; returns the ephemeral reply."""
        async with self._signed() as sender:
            self._count += 1
            body, tag = sender.command_body(
                text, user=user, channel=CHANNEL, tag=f"say{self._count}"
            )
            status, raw = await sender.post(body)
            ack = json.loads(raw) if raw.startswith("{") else None
            assert status == 200
            if ack is not None:
                return reply_text(ack)
            deadline = time.monotonic() + 10
            while not (calls := [c for c in self.slack.calls_to("response_url") if c.tag == tag]):
                assert time.monotonic() < deadline, f"no reply to /goal {text}"
                await asyncio.sleep(0.01)
        return reply_text(calls[0].body)

    async def click(self, payload: dict[str, Any]) -> None:
        """Send a signed block_actions payload; Slack only needs an empty 200 back."""
        async with self._signed() as sender:
            status, body = await sender.interaction(payload)
        assert status == 200
        assert body is None, f"block_actions are acked empty, got {body}"
        await self.settle()

    async def seed_points(self, metric_key: str, value: float, *, days: int, until: date) -> None:
        """`days` days of a steady value up to `until`."""
        async with self.database.transaction() as session:
            await point_store.upsert_points(
                session=session,
                team_id=TEAM,
                metric_key=metric_key,
                values=[DailyValue(until - timedelta(days=n), value) for n in range(days)],
                origin="test",
                now=self.clock(),
            )

    async def advance(self, delta: timedelta) -> None:
        """Move the clock on and let every bot catch up."""
        self.clock.advance(delta)
        await self.settle()

    async def settle(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Wait until no bot has work in hand and nothing due is left unsent."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 3:
            assert time.monotonic() < deadline, "the bots did not settle"
            await asyncio.sleep(self.tick)
            busy = any(len(b.services.background) for b in self.bots)
            pending = await self.pending()
            quiet = quiet + 1 if not busy and pending == 0 else 0

    async def wait_ticks(self, ticks: int = 5) -> None:
        """Let the bots tick a few times without moving the clock (for "nothing happens")."""
        await asyncio.sleep(ticks * self.tick)

    async def pending(self) -> int:
        """Outbox rows due now and not done (a paused goal's excepted: they wait)."""
        async with self.database.transaction() as session:
            paused = select(Goal.id).where(Goal.status == GoalStatus.PAUSED.value)
            statement = select(func.count()).where(
                col(OutboxMessage.done_at).is_(None),
                col(OutboxMessage.due_at) <= self.clock(),
                col(OutboxMessage.goal_id).not_in(paused),  # a paused goal's rows wait
            )
            return int((await session.exec(statement)).one())

    async def remediation(self) -> RemediationRow:
        """The goal's latest remediation."""
        async with self.database.transaction() as session:
            statement = select(RemediationRow).order_by(col(RemediationRow.id).desc())
            row = (await session.exec(statement)).first()
        assert row is not None, "no remediation was opened"
        return row

    async def outbox(self) -> list[OutboxMessage]:
        """Every outbox row, in the order they were queued."""
        async with self.database.transaction() as session:
            statement = select(OutboxMessage).order_by(col(OutboxMessage.id))
            return list((await session.exec(statement)).all())

    async def remediations(self) -> list[RemediationRow]:
        """Every remediation, oldest first."""
        async with self.database.transaction() as session:
            statement = select(RemediationRow).order_by(col(RemediationRow.id))
            return list((await session.exec(statement)).all())

    async def episodes(self) -> list[EpisodeRow]:
        """Every episode, oldest first."""
        async with self.database.transaction() as session:
            statement = select(EpisodeRow).order_by(col(EpisodeRow.id))
            return list((await session.exec(statement)).all())

    # -- what Slack received ------------------------------------------------------------------

    async def wait_for_call(
        self,
        method: str,
        matching: Callable[[dict[str, Any]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> Call:
        """The first call to `method` whose body matches, once the fake Slack has received it."""
        deadline = time.monotonic() + timeout
        while not (calls := [c for c in self.slack.calls_to(method) if matching(c.body)]):
            assert time.monotonic() < deadline, f"no matching {method} call within {timeout}s"
            await asyncio.sleep(0.01)
        return calls[0]

    async def deliveries(self) -> Counter[str]:
        """Everything Slack accepted, each message named by the run key that recorded it.

        `post <run key>` is a message posted by an outbox row (or a digest's run claim);
        `update <run key>` an accepted chat.update of the message that row posted. A message
        Slack accepted but no row recorded (its ts was never stored) is
        `unrecorded <channel> <text…>`, so a message sent twice always shows.
        """
        async with self.database.transaction() as session:
            rows = list((await session.exec(select(OutboxMessage))).all())
            claims = list((await session.exec(select(RunClaim))).all())
        edits = ("checklist_update", "parent_update", "dm_update", "checkin_answered")
        posts = [(r.run_key, r.result) for r in rows if r.kind not in edits]
        posts += [(c.run_key, c.result) for c in claims]
        named = {
            (str(result.get("channel")), str(result["ts"])): run_key
            for run_key, result in posts
            if result.get("ts")
        }
        record: Counter[str] = Counter()
        for call in self.slack.calls_to("chat.postMessage"):
            if not call.accepted:
                continue
            key = (str(call.response["channel"]), str(call.response["ts"]))
            text = str(call.body.get("text", ""))[:60]
            record[f"post {named.get(key) or f'unrecorded {key[0]} {text}'}"] += 1
        for call in self.slack.calls_to("chat.update"):
            if call.accepted:
                key = (str(call.response["channel"]), str(call.response["ts"]))
                record[f"update {named.get(key) or f'unrecorded {key[0]}'}"] += 1
        return record

    def dm_channel(self, user: str) -> str | None:
        """The DM channel the bot opened with `user`, if any."""
        for call in self.slack.calls_to("conversations.open"):
            if call.body.get("users") == user and call.accepted:
                return str(call.response["channel"]["id"])
        return None

    def posted(self, channel: str) -> list[dict[str, Any]]:
        """Messages as posted (with their ts) in a channel, in order; edits not applied."""
        return [
            {**c.response["message"], "channel": c.response["channel"]}
            for c in self.slack.calls_to("chat.postMessage")
            if c.accepted and c.response.get("channel") == channel
        ]

    def dms(self, user: str) -> list[dict[str, Any]]:
        """Messages posted in the DM with `user`."""
        channel = self.dm_channel(user)
        return [] if channel is None else self.posted(channel)

    def thread(self, parent_ts: str) -> list[dict[str, Any]]:
        """Messages posted into a thread in the goal's channel, in order."""
        return [m for m in self.posted(CHANNEL) if m.get("thread_ts") == parent_ts]

    def current(self, channel: str, ts: str) -> dict[str, Any]:
        """A message as it is now, after every chat.update."""
        return self.slack.messages[(channel, ts)]

    def updates(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Accepted chat.update calls on one message."""
        return [
            c.body
            for c in self.slack.calls_to("chat.update")
            if c.accepted and c.body.get("ts") == ts and c.response.get("channel") == channel
        ]

    def ephemeral_replies(self) -> list[str]:
        """Every ephemeral answer sent through a response_url, as text."""
        return [
            reply_text(c.body)
            for c in self.slack.calls_to("response_url")
            if c.body.get("response_type") == "ephemeral"
        ]


def text_of(message: dict[str, Any]) -> str:
    """Everything readable in a message: its text and its blocks."""
    return str(message.get("text", "")) + str(message.get("blocks", ""))


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC time."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
