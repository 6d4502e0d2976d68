"""Digest fan-out: every channel's digest due at once, against Slack's posting limits.

500 channels with 10 goals each, all due when `goalpulse run` starts, against the fake Slack
Web API set to allow one chat.postMessage per second per channel and 50 per second per
workspace (bursts are answered 429 with Retry-After). The floor is the workspace limit:
500 messages ÷ 50/s = 10 s. Measured from start-up (`/healthz` answering) until Slack accepted
every digest, and, for information, until every chart was uploaded into its digest's thread.

With a PostgreSQL server (--postgres-url, or GOALPULSE_BENCH_POSTGRES), the fan-out runs again
from two bots on one PostgreSQL database: between them they must post to the workspace at the
configured rate, not twice it. Its figure is the most chat.postMessage calls Slack saw in any
1 s window, against the rate plus the burst the pacer lets go after a pause.

The bot runs as its own process (the one `goalpulse run` starts), so its peak resident memory
(VmHWM) through the fan-out is the deployment's, read just before it is stopped. The process
the bot starts to draw charts in is read the same way, and the target is on the two peaks
added (an upper bound of their peak together, since they need not peak at the same moment).

    python -m tests.benchmarks.fanout [--size full|tiny] [--postgres-url URL]
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.pacing import WorkspacePacer
from storage import migrate
from storage.db import Database
from storage.models import ChannelSettings, Goal, MetricPoint
from tests.benchmarks.ack_latency import SECRET, TOKEN, free_port, goal_row, wait_until_up
from tests.benchmarks.health import drop_database, ensure_database
from tests.benchmarks.report import Figure, Size, run_alone
from tests.support.fake_slack import Call, FakeSlack

TEAM = "T0001"
SIZES = {Size.FULL: (500, 10), Size.TINY: (20, 3)}  # (channels, goals per channel)
METRICS = 50  # the workspace's metrics; each channel has goals on some of them
HISTORY_DAYS = 35
PER_CHANNEL, PER_WORKSPACE = 1.0, 50.0  # Slack's chat.postMessage limits, per second
# How long to wait for the digests and then for the charts before calling the rest lost.
DEADLINES = {Size.FULL: (120.0, 600.0), Size.TINY: (60.0, 120.0)}
SETTLE_SECONDS = 2.0  # after the last chart: time for a duplicate to show up
PROCESSES = 2  # bots sharing one PostgreSQL database in the second run
DIGEST_PREFIX = "Goal health for "


def write_metrics(folder: Path) -> Path:
    """A catalog of manual metrics (no pulls run during the benchmark)."""
    lines = ["metrics:"]
    lines += [
        f"  m{i:02d}: {{title: Metric {i:02d}, unit: count, source: {{kind: manual}}}}"
        for i in range(METRICS)
    ]
    path = folder / "metrics.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def channel_metrics(channel: int, goals: int) -> list[int]:
    """The metrics a channel has goals on: `goals` distinct ones, differing between channels."""
    return [(channel * 3 + k) % METRICS for k in range(goals)]


async def seed(url: str, channels: list[str], goals: int, *, today: date, now: datetime) -> None:
    """Goals on target and rising (green, no escalations), a month of points, and every
    channel's digest time a few minutes ago, so all the digests are due at start-up."""
    database = Database(url)
    try:
        await migrate.upgrade(database)
        goal_rows = [
            goal_row(channel, f"m{i:02d}", 1000.0 + 10 * i, now=now)
            for number, channel in enumerate(channels)
            for i in channel_metrics(number, goals)
        ]
        points = [
            {
                "team_id": TEAM,
                "metric_key": f"m{i:02d}",
                "day": today - timedelta(days=n),
                # Above target and never falling: green, with no decline to start a remediation.
                "value": (1000.0 + 10 * i) * (1.02 + 0.002 * (HISTORY_DAYS - n)),
                "origin": "bench",
                "recorded_at": now,
            }
            for i in range(METRICS)
            for n in range(HISTORY_DAYS)
        ]
        due = (now - timedelta(minutes=2)).astimezone(UTC).strftime("%H:%M")
        settings = [
            {
                "team_id": TEAM,
                "channel_id": channel,
                "digest_time": due,
                "timezone": "UTC",
                "updated_at": now,
            }
            for channel in channels
        ]
        async with database.transaction() as session:
            for start in range(0, len(goal_rows), 2000):
                await session.exec(insert(Goal).values(goal_rows[start : start + 2000]))
            await session.exec(insert(MetricPoint).values(points))
            await session.exec(insert(ChannelSettings).values(settings))
    finally:
        await database.dispose()


@dataclass
class Tally:
    """What the fake Slack saw, read incrementally as the calls come in."""

    channels: set[str]
    digests: Counter[str] = field(default_factory=Counter)  # accepted digests per channel
    charts: Counter[str] = field(default_factory=Counter)  # completed uploads per channel
    last_digest: float = 0.0
    last_chart: float = 0.0
    posts: int = 0
    rate_limited: int = 0
    scanned: int = 0

    def scan(self, calls: list[Call]) -> None:
        for call in calls[self.scanned :]:
            if call.method == "chat.postMessage":
                self.posts += 1
                self.rate_limited += call.rate_limited
                if call.accepted and self._is_digest(call):
                    self.digests[str(call.body["channel"])] += 1
                    self.last_digest = call.at
            elif call.method == "files.completeUploadExternal" and call.accepted:
                self.charts[str(call.body.get("channel_id"))] += 1
                self.last_chart = call.at
        self.scanned = len(calls)

    def _is_digest(self, call: Call) -> bool:
        body = call.body
        return (
            not body.get("thread_ts")
            and str(body.get("channel")) in self.channels
            and str(body.get("text", "")).startswith(DIGEST_PREFIX)
        )

    @property
    def delivered(self) -> int:
        return sum(1 for channel in self.channels if self.digests[channel])

    @property
    def charted(self) -> int:
        return sum(1 for channel in self.channels if self.charts[channel])

    @property
    def twice(self) -> int:
        return sum(max(0, self.digests[c] - 1) for c in self.channels)


async def wait_until(slack: FakeSlack, tally: Tally, done: int, attr: str, deadline: float) -> bool:
    """Scan the fake's calls until `attr` reaches `done` or the deadline passes."""
    while True:
        tally.scan(slack.calls)
        if getattr(tally, attr) >= done:
            return True
        if time.monotonic() > deadline:
            return False
        await slack.next_call(0.05)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB; NaN when it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def descendants(pid: int) -> list[int]:
    """The process's children, theirs, and so on (the bot's chart-drawing process)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(child) for child in children]
        todo += [int(child) for child in children]
    return found


def peak_per_second(times: list[float]) -> int:
    """The most of `times` (seconds) that fall within any one second."""
    ordered, first, peak = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= 1.0:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def bot_env(slack: FakeSlack, database_url: str, metrics: Path, port: int) -> dict[str, str]:
    """`goalpulse run`'s environment: the fake Slack, the database, the catalog, a port."""
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "GOALPULSE_METRICS": str(metrics),
        "GOALPULSE_TIMEZONE": "UTC",
        "GOALPULSE_SLACK_POSTS_PER_SECOND": str(PER_WORKSPACE),
        "PORT": str(port),
    }


async def start_bot(env: dict[str, str], log_path: Path) -> asyncio.subprocess.Process:
    """`goalpulse run` as its own process, its log going to `log_path`."""
    with log_path.open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, stderr=log
        )


async def run(size: Size, *, postgres_url: str | None = None) -> list[Figure]:
    """Fan-out and memory figures for one bot delivering every channel's digest at once (on
    SQLite, the default deployment), then the two-process figures when PostgreSQL answers."""
    count, goals = SIZES[size]
    judged = size is Size.FULL
    digest_wait, chart_wait = DEADLINES[size]
    now = datetime.now(UTC)
    channels = [f"C{n:06d}" for n in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        metrics = write_metrics(root)
        db = root / "fanout.db"
        await seed(f"sqlite+aiosqlite:///{db}", channels, goals, today=now.date(), now=now)
        async with FakeSlack(token=TOKEN, team_id=TEAM) as slack:
            slack.rate_limit(per_channel_per_second=PER_CHANNEL, per_workspace_per_second=50)
            port = free_port()
            env = bot_env(slack, f"sqlite+aiosqlite:///{db}", metrics, port)
            log_path = root / "bot.log"
            process = await start_bot(env, log_path)
            tally = Tally(set(channels))
            try:
                await wait_until_up(f"http://127.0.0.1:{port}")
                started = time.monotonic()
                await wait_until(slack, tally, count, "delivered", started + digest_wait)
                await wait_until(slack, tally, count, "charted", started + chart_wait)
                await asyncio.sleep(SETTLE_SECONDS)
                tally.scan(slack.calls)
                peak = peak_rss_mb(process.pid)
                helpers = [peak_rss_mb(child) for child in descendants(process.pid)]
            finally:
                process.terminate()
                await asyncio.wait_for(process.wait(), 60)
            tally.scan(slack.calls)  # anything sent while stopping counts too
            # A digest can go out before /healthz first answers: count from whichever came first.
            started = min([started, *(c.at for c in slack.calls if c.method == "chat.postMessage")])
            if tally.delivered < count or tally.charted < count:
                tail = log_path.read_text(errors="replace").splitlines()[-20:]
                print("\n".join(["bot log (tail):", *tail]), file=sys.stderr)
    floor = count / PER_WORKSPACE
    delivered = tally.last_digest - started if tally.delivered == count else float("nan")
    charted = tally.last_chart - started if tally.charted == count else float("nan")
    rate_limited = 100 * tally.rate_limited / tally.posts if tally.posts else 0.0
    charts = sum(m for m in helpers if math.isfinite(m))
    figures = [
        Figure(
            "fan-out",
            f"all {count} digests delivered",
            delivered,
            "s",
            f"floor ({count} msgs ÷ {PER_WORKSPACE:.0f}/s)",
            floor,
            target=f"< 1.2× floor ({1.2 * floor:.3g} s)",
            limit=1.2 * floor,
            judged=judged,
        ),
        Figure(
            "fan-out",
            "digests posted twice",
            float(tally.twice),
            "",
            target="0",
            limit=0,
            judged=judged,
        ),
        Figure(
            "fan-out",
            "digests lost",
            float(count - tally.delivered),
            "",
            target="0",
            limit=0,
            judged=judged,
        ),
        Figure(
            "fan-out",
            "calls answered 429",
            rate_limited,
            "%",
            target=f"< 1% (of {tally.posts} chat.postMessage calls)",
            limit=1.0,
            judged=judged,
        ),
        Figure(
            "fan-out",
            "charts uploaded (after)",
            charted,
            "s",
            target=f"{tally.charted} of {count}, in the digests' threads",
            judged=False,
        ),
        Figure(
            "memory",
            "peak RSS, digest fan-out",
            peak,
            "MB",
            target="< 300 MB",
            limit=300,
            judged=judged,
        ),
        Figure(
            "memory",
            "peak RSS, the bot's chart processes (after)",
            charts,
            "MB",
            target=f"{len(helpers)} processes besides the bot's own",
            judged=False,
        ),
        Figure(
            "memory",
            "peak RSS, bot + chart processes, digest fan-out",
            peak + charts,
            "MB",
            target="< 300 MB (each process's own peak, added)",
            limit=300,
            judged=judged,
        ),
    ]
    if postgres_url is None:
        return figures
    return figures + await two_processes(size, postgres_url)


async def two_processes(size: Size, postgres_url: str) -> list[Figure]:
    """The fan-out from two bots on one new PostgreSQL database (dropped afterwards); nothing
    when PostgreSQL does not answer."""
    name = f"goalpulse_bench_fanout_{uuid.uuid4().hex[:8]}"
    if not await ensure_database(postgres_url, name):
        return []
    count, goals = SIZES[size]
    digest_wait = DEADLINES[size][0]
    now = datetime.now(UTC)
    channels = [f"C{n:06d}" for n in range(count)]
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            metrics = write_metrics(root)
            await seed(url, channels, goals, today=now.date(), now=now)
            async with FakeSlack(token=TOKEN, team_id=TEAM) as slack:
                slack.rate_limit(per_channel_per_second=PER_CHANNEL, per_workspace_per_second=50)
                ports = [free_port() for _ in range(PROCESSES)]
                logs = [root / f"bot{n}.log" for n in range(PROCESSES)]
                processes = [
                    await start_bot(bot_env(slack, url, metrics, port), log)
                    for port, log in zip(ports, logs, strict=True)
                ]
                tally = Tally(set(channels))
                try:
                    await wait_until_up(f"http://127.0.0.1:{ports[0]}")
                    # From the first process up: it may post before the second answers.
                    started = time.monotonic()
                    for port in ports[1:]:
                        await wait_until_up(f"http://127.0.0.1:{port}")
                    await wait_until(slack, tally, count, "delivered", started + digest_wait)
                    await asyncio.sleep(SETTLE_SECONDS)
                finally:
                    for process in processes:
                        process.terminate()
                    for process in processes:
                        await asyncio.wait_for(process.wait(), 60)
                tally.scan(slack.calls)
                posts = [c.at for c in slack.calls if c.method == "chat.postMessage"]
                if tally.delivered < count:
                    for log in logs:
                        tail = log.read_text(errors="replace").splitlines()[-20:]
                        print("\n".join([f"{log.name} (tail):", *tail]), file=sys.stderr)
    finally:
        await drop_database(postgres_url, name)
    burst = WorkspacePacer(PER_WORKSPACE).burst
    # A digest can go out before /healthz first answers: count from whichever came first.
    started = min([started, *posts])
    delivered = tally.last_digest - started if tally.delivered == count else float("nan")
    return [
        Figure(
            "fan-out",
            "two processes: workspace posts per second (peak over any 1 s window)",
            float(peak_per_second(posts)),
            "/s",
            "configured rate",
            PER_WORKSPACE,
            target=f"≤ {PER_WORKSPACE:.0f}/s after a {burst}-post burst",
            limit=PER_WORKSPACE + burst,
            judged=size is Size.FULL,
        ),
        Figure(
            "fan-out",
            f"two processes: all {count} digests delivered",
            delivered,
            "s",
            f"floor ({count} msgs ÷ {PER_WORKSPACE:.0f}/s)",
            count / PER_WORKSPACE,
            target="for information: the two share one rate",
            judged=False,
        ),
        Figure(
            "fan-out",
            "two processes: digests posted twice or lost",
            float(tally.twice + count - tally.delivered),
            "",
            target="0",
            limit=0,
            judged=size is Size.FULL,
        ),
    ]


if __name__ == "__main__":
    run_alone(run, __doc__)
