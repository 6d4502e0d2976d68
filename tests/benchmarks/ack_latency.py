"""How fast Slack gets its ack: goalpulse beside a bare Bolt app whose only listener acks.

Every server runs as its own process (`goalpulse run`; this module with `--serve-bare`; and
with `--serve-loaded`, goalpulse with a full evaluation of 100,000 goals looping back to back,
in the bot's evaluation worker as `goalpulse run` has it), so the load generator and the fake
Slack here never share their event loop. That evaluation is timed alone first, then under the
load, which lasts until at least one whole evaluation ran during it.

Each "user" sends a signed `/goal` and waits for its ack and then for the reply through the
response_url before typing the next, as a person would; 1 user or 20 at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert

from storage import migrate
from storage.db import Database
from storage.models import Goal, MetricPoint, WorkspaceSettings
from tests.benchmarks.report import Figure, Size
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
TEAM, CHANNEL = "T0001", "C0GROWTH"
METRICS = 20  # goals per channel: one per metric
HISTORY_DAYS = 90
SIZES = {  # (goals in the database, requests per case, goals evaluated in the loaded run)
    Size.FULL: (10_000, 2_000, 100_000),
    Size.TINY: (200, 40, 400),
}
CONCURRENCY = 20
CASES = {"list": "list", "set": "set m00 {n}"}
BARE_APP = ["-m", "tests.benchmarks.bare_app"]
ALONE_RUNS = 1  # evaluations timed before the load (after the first, which starts the worker)


def write_metrics(folder: Path) -> Path:
    """A catalog of manual metrics, one per goal of a channel."""
    lines = ["metrics:"]
    lines += [f"  m{i:02d}: {{unit: count, source: {{kind: manual}}}}" for i in range(METRICS)]
    path = folder / "metrics.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def goal_row(channel: str, metric_key: str, target: float, *, now: datetime) -> dict[str, Any]:
    """A goal row for a bulk insert: higher is better, default bands, owned by ana."""
    return {
        "team_id": TEAM,
        "channel_id": channel,
        "metric_key": metric_key,
        "target": target,
        "direction": "higher",
        "unit": "count",
        "yellow": 0.1,
        "orange": 0.2,
        "red": 0.3,
        "status": "active",
        "created_by": "U0ANA",
        "owner_id": "U0ANA",
        "created_at": now,
        "updated_at": now,
    }


async def seed(url: str, goals: int, *, today: date) -> None:
    """`goals` goals, 20 per channel (the growth channel first), on target for 90 days.

    On target, so the evaluation measured is the full read-classify-store step without the
    escalations a sliding goal would also queue.
    """
    database = Database(url)
    try:
        await migrate.upgrade(database)
        now = datetime.now(UTC)
        channels = [CHANNEL, *(f"C{n:06d}" for n in range(1, goals // METRICS))]
        goal_rows = [
            goal_row(channel, f"m{i:02d}", 1000.0 + i, now=now)
            for channel in channels
            for i in range(METRICS)
        ]
        points = [
            {
                "team_id": TEAM,
                "metric_key": f"m{i:02d}",
                "day": today - timedelta(days=n),
                "value": 1000.0 + i,
                "origin": "bench",
                "recorded_at": now,
            }
            for i in range(METRICS)
            for n in range(HISTORY_DAYS)
        ]
        # Digests twelve hours away: the fan-out is measured on its own, not here.
        later = (datetime.now() + timedelta(hours=12)).strftime("%H:%M")  # noqa: DTZ005 - local
        async with database.transaction() as session:
            for start in range(0, len(goal_rows), 2000):
                await session.exec(insert(Goal).values(goal_rows[start : start + 2000]))
            await session.exec(insert(MetricPoint).values(points))
            await session.exec(
                insert(WorkspaceSettings).values(team_id=TEAM, digest_time=later, updated_at=now)
            )
    finally:
        await database.dispose()


async def serve_loaded(log_path: Path) -> None:
    """goalpulse with a full evaluation of every goal running back to back, without the
    scheduler's ticks."""
    from bot.runtime import start_bot
    from bot.settings import Settings, load_settings

    running = await start_bot(load_settings(Settings), host="127.0.0.1", schedule=False)
    engine = running.services.engine
    assert engine is not None
    with log_path.open("a") as log:
        while True:
            started = time.time()
            log.write(json.dumps({"start": started}) + "\n")  # so a run still going counts
            log.flush()
            count = await engine.evaluate()
            log.write(json.dumps({"start": started, "end": time.time(), "goals": count}) + "\n")
            log.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def server(args: list[str], env: dict[str, str]) -> AsyncIterator[None]:
    """A server subprocess; stopping it waits without blocking the fake Slack it talks to."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env={**os.environ, **env}, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        yield
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 60)


async def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.05)


class Replies:
    """Waits for the reply each command's response_url gets (by its tag)."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.seen: set[str] = set()
        self.scanned = 0

    async def wait(self, tag: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            calls = self.slack.calls
            self.seen.update(
                c.tag for c in calls[self.scanned :] if c.method == "response_url" and c.tag
            )
            self.scanned = len(calls)
            if tag in self.seen:
                return
            assert time.monotonic() < deadline, f"no reply to {tag}"
            await self.slack.next_call(1.0)


async def load(
    client: SignedSlack,
    replies: Replies | None,
    template: str,
    *,
    requests: int,
    users: int,
    label: str,
) -> list[float]:
    """Ack latencies (ms) of `requests` commands sent by `users` people at once."""
    latencies: list[float] = []

    async def person(number: int) -> None:
        for n in range(number, requests, users):
            text = template.format(n=1000 + n)
            body, tag = client.command_body(text, tag=f"{label}-{n}")
            started = time.perf_counter()
            status, raw = await client.post(body)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200, (status, raw)
            if replies is not None and not raw:
                await replies.wait(tag)

    await asyncio.gather(*(person(u) for u in range(users)))
    return latencies


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def run(size: Size, *, postgres_url: str | None = None) -> list[Figure]:
    """Figures for goalpulse's acks beside the bare app's, idle and under evaluation."""
    del postgres_url  # acks are measured on SQLite, the default deployment
    goals, requests, loaded_goals = SIZES[size]
    judged = size is Size.FULL
    today = datetime.now().date()  # noqa: DTZ005 - the bot's "today" is the local date
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        metrics = write_metrics(root)
        idle_db, loaded_db = root / "idle.db", root / "loaded.db"
        await seed(f"sqlite+aiosqlite:///{idle_db}", goals, today=today)
        await seed(f"sqlite+aiosqlite:///{loaded_db}", loaded_goals, today=today)
        async with FakeSlack(token=TOKEN) as slack:
            ports = {name: free_port() for name in ("goalpulse", "bare", "loaded")}

            def bot_env(database: Path, port: int) -> dict[str, str]:
                return {
                    "SLACK_BOT_TOKEN": TOKEN,
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": slack.api_url,
                    "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
                    "GOALPULSE_METRICS": str(metrics),
                    "PORT": str(port),
                }

            me = ["-m", "tests.benchmarks.ack_latency"]
            bare = [*BARE_APP, str(ports["bare"]), slack.api_url, SECRET]
            async with (
                server(["-m", "bot", "run"], bot_env(idle_db, ports["goalpulse"])),
                server(bare, {}),
            ):
                urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
                await wait_until_up(urls["goalpulse"])
                await wait_until_up(urls["bare"])
                replies = Replies(slack)
                async with (
                    SignedSlack(
                        bot_url=urls["goalpulse"],
                        signing_secret=SECRET,
                        response_url=slack.response_url,
                    ) as ours,
                    SignedSlack(
                        bot_url=urls["bare"], signing_secret=SECRET, response_url=slack.response_url
                    ) as floor,
                ):
                    for client, waits in ((ours, replies), (floor, None)):  # warm-up
                        await load(client, waits, "list", requests=50, users=1, label="warm")
                    for case, template in CASES.items():
                        for users in (1, CONCURRENCY):
                            label = f"{case}-c{users}"
                            bare_ms = await load(
                                floor, None, template, requests=requests, users=users, label=label
                            )
                            our_ms = await load(
                                ours, replies, template, requests=requests, users=users, label=label
                            )
                            figures += _figures(case, users, our_ms, bare_ms, judged=judged)
            log_path = root / "evaluations.jsonl"
            loaded_env = bot_env(loaded_db, ports["loaded"])
            async with server([*me, "--serve-loaded", str(log_path)], loaded_env):
                await wait_until_up(urls["loaded"])
                await _wait_for_evaluations(log_path, ALONE_RUNS + 1)  # the first starts it
                async with SignedSlack(
                    bot_url=urls["loaded"], signing_secret=SECRET, response_url=slack.response_url
                ) as loaded:
                    window_start = time.time()
                    our_ms = []
                    while len(our_ms) < requests or not _within(
                        _evaluations(log_path), window_start, time.time()
                    ):
                        our_ms += await load(
                            loaded,
                            Replies(slack),
                            "list",
                            requests=requests,
                            users=CONCURRENCY,
                            label=f"loaded-{len(our_ms)}",
                        )
                    window_end = time.time()
                evaluations = _evaluations(log_path)
    window = window_end - window_start
    busy = _overlap(evaluations, window_start, window_end)
    finished = [e for e in evaluations if "end" in e]
    alone = [e["end"] - e["start"] for e in finished[1:] if e["end"] <= window_start]
    loaded_s = [e["end"] - e["start"] for e in _within(finished, window_start, window_end)]
    alone_s = statistics.median(alone)
    figures.append(
        Figure(
            "ack latency",
            f"/goal list p99, 20 users, while evaluating {loaded_goals:,} goals",
            percentile(our_ms, 0.99),
            "ms",
            target=f"< 30 ms (one was running {busy / max(window, 1e-9):.0%} of {window:.1f} s)",
            limit=30,
            judged=judged,
        )
    )
    figures.append(
        Figure(
            "ack latency",
            f"evaluation of {loaded_goals:,} goals under that load (median)",
            statistics.median(loaded_s),
            "s",
            "the same evaluation alone",
            alone_s,
            target=f"≤ 1.3× alone ({1.3 * alone_s:.2f} s)",
            limit=1.3 * alone_s,
            judged=judged,
        )
    )
    return figures


async def _wait_for_evaluations(log_path: Path, count: int) -> None:
    """Until the loaded bot has finished `count` evaluations (so the next is running)."""
    deadline = time.monotonic() + 300
    while sum("end" in e for e in await asyncio.to_thread(_evaluations, log_path)) < count:
        assert time.monotonic() < deadline, "the loaded bot's evaluations do not finish"
        await asyncio.sleep(0.1)


def _within(
    evaluations: list[dict[str, float]], start: float, end: float
) -> list[dict[str, float]]:
    """The evaluations that ran wholly within [start, end]."""
    return [e for e in evaluations if e["start"] >= start and e.get("end", end + 1) <= end]


def _overlap(evaluations: list[dict[str, float]], start: float, end: float) -> float:
    """Seconds of [start, end] during which an evaluation was running (one still going at the
    end of the load counts up to the end)."""
    runs: dict[float, float] = {}
    for entry in evaluations:
        runs[entry["start"]] = entry.get("end", runs.get(entry["start"], end))
    return sum(max(0.0, min(stop, end) - max(begin, start)) for begin, stop in runs.items())


def _evaluations(log_path: Path) -> list[dict[str, float]]:
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


def _figures(
    case: str, users: int, ours: list[float], bare: list[float], *, judged: bool
) -> list[Figure]:
    who = "1 user" if users == 1 else f"{users} users"
    name = f"/goal {case}"
    if users == 1:
        ours_p50, bare_p50 = statistics.median(ours), statistics.median(bare)
        return [
            Figure(
                "ack latency",
                f"{name} p50, {who}",
                ours_p50,
                "ms",
                "bare Bolt app",
                bare_p50,
                target=f"≤ bare + 3 ms ({bare_p50 + 3:.2f})",
                limit=bare_p50 + 3,
                judged=judged,
            ),
            Figure(
                "ack latency",
                f"{name} p99, {who}",
                percentile(ours, 0.99),
                "ms",
                "bare Bolt app",
                percentile(bare, 0.99),
                judged=False,
            ),
        ]
    ours_p99, bare_p99 = percentile(ours, 0.99), percentile(bare, 0.99)
    return [
        Figure(
            "ack latency",
            f"{name} p99, {who}",
            ours_p99,
            "ms",
            "bare Bolt app",
            bare_p99,
            target=f"≤ 3× bare and < 100 ms ({min(3 * bare_p99, 100):.1f})",
            limit=min(3 * bare_p99, 100),
            judged=judged,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=[s.value for s in Size], default=Size.FULL.value)
    parser.add_argument("--serve-loaded", type=Path, metavar="LOG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_loaded:
        asyncio.run(serve_loaded(args.serve_loaded))
        return
    from tests.benchmarks.report import table

    print(table(asyncio.run(run(Size(args.size)))))


if __name__ == "__main__":
    main()
