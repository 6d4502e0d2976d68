"""The many-workspaces benchmark's data: workspaces, channels, installations and goals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import delete, insert

from bot.oauth.stores import build_stores
from jobs.evaluation.service import evaluate
from storage import migrate
from storage.db import Database
from storage.models import ChannelSettings, Goal, MetricPoint, OutboxMessage, PostBudget, RunClaim
from tests.benchmarks.ack_latency import goal_row
from tests.support.fake_slack_oauth import CLIENT_ID, FakeSlackWorkspaces

GOALS = 3  # goals per channel, on 3 of its workspace's 5 metrics
WORKSPACE_METRICS = 5
HISTORY_DAYS = 35


def team(n: int) -> str:
    return f"T{n:05d}"


def channel(n: int, c: int) -> str:
    return f"C{n:05d}{c:03d}"


@dataclass(frozen=True)
class Layout:
    """The workspaces and their channels."""

    workspaces: int
    channels: int

    @property
    def count(self) -> int:
        return self.workspaces * self.channels

    def pairs(self) -> list[tuple[str, str]]:
        return [
            (team(n), channel(n, c)) for n in range(self.workspaces) for c in range(self.channels)
        ]


async def seed(url: str, layout: Layout, tokens: dict[str, str], *, now: datetime) -> None:
    """Installations, goals, a month of points and every channel's digest due 2 minutes ago;
    then today's evaluation, as a morning's pull would have left it."""
    database = Database(url)
    try:
        await migrate.upgrade(database)
        today = now.date()
        goals, settings = [], []
        due = (now - timedelta(minutes=2)).strftime("%H:%M")
        for team_id, channel_id in layout.pairs():
            c = int(channel_id[-3:])
            for k in range(GOALS):
                row = goal_row(channel_id, f"m{(c + k) % WORKSPACE_METRICS:02d}", 1000.0, now=now)
                goals.append(row | {"team_id": team_id})
            settings.append(
                {
                    "team_id": team_id,
                    "channel_id": channel_id,
                    "digest_time": due,
                    "timezone": "UTC",
                    "updated_at": now,
                }
            )
        points = [
            {
                "team_id": team(n),
                "metric_key": f"m{i:02d}",
                "day": today - timedelta(days=d),
                "value": 1000.0 * (1.02 + 0.002 * (HISTORY_DAYS - d)),
                "origin": "bench",
                "recorded_at": now,
            }
            for n in range(layout.workspaces)
            for i in range(WORKSPACE_METRICS)
            for d in range(HISTORY_DAYS)
        ]
        async with database.transaction() as session:
            for rows, model in ((goals, Goal), (points, MetricPoint), (settings, ChannelSettings)):
                for start in range(0, len(rows), 2000):
                    await session.exec(insert(model).values(rows[start : start + 2000]))
        store = build_stores(database, CLIENT_ID).installations
        for team_id, token in tokens.items():
            await store.async_save(
                Installation(
                    app_id="A0001",
                    team_id=team_id,
                    team_name=f"Workspace {team_id}",
                    bot_token=token,
                    bot_id="B0001",
                    bot_user_id="UBOT",
                    bot_scopes=["chat:write"],
                    user_id="U0INSTALLER",
                    installed_at=now.timestamp(),
                )
            )
        await evaluate(database=database, day=today, now=now)
    finally:
        await database.dispose()


async def reset(url: str) -> None:
    """Forget every digest sent (claims, queued thread posts, posting budgets) for a rerun."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            for model in (RunClaim, OutboxMessage, PostBudget):
                await session.exec(delete(model))
    finally:
        await database.dispose()


def install(slack: FakeSlackWorkspaces, layout: Layout) -> dict[str, str]:
    """The fake knows every workspace and channel; each workspace's bot token, by team id."""
    tokens = {}
    for n in range(layout.workspaces):
        slack.add_workspace(team(n), f"Workspace {n}")
        tokens[team(n)] = slack.issue_token(team(n))
        for c in range(layout.channels):
            slack.add_channel(channel(n, c), team(n))
    return tokens
