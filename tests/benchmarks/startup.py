"""Start-up: from `goalpulse run` to `GET /healthz` answering 200, beside a bare Bolt app.

Measured as a newcomer would see it: a new process, a fresh SQLite file (so the migrations are
included), and again on the same file (the everyday restart). The target is < 0.6 s and at most
twice the bare Bolt app (tests/benchmarks/bare_app.py) started the same way in the same run:
pandas, numpy, DuckDB, SciPy and matplotlib are imported after /healthz answers (jobs/deferred.py).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.benchmarks.ack_latency import BARE_APP, SECRET, TOKEN, free_port, server, write_metrics
from tests.benchmarks.report import Figure, Size, table
from tests.support.fake_slack import FakeSlack

RUNS = {Size.FULL: 5, Size.TINY: 1}
LIMIT_SECONDS = 0.6
LIMIT_TIMES_BARE = 2.0


async def _until_healthy(url: str, started: float) -> float:
    """Seconds from `started` until /healthz answers 200."""
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < 60:
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.01)
    raise AssertionError(f"{url} never became healthy")


async def _time_start(args: list[str], env: dict[str, str], port: int) -> float:
    started = time.perf_counter()
    async with server(args, env):
        return await _until_healthy(f"http://127.0.0.1:{port}", started)


async def run(size: Size, *, postgres_url: str | None = None) -> list[Figure]:
    """Median start-up time over a few runs, fresh and existing database, and the floor."""
    del postgres_url  # the target is for SQLite, the default deployment
    judged = size is Size.FULL
    fresh, existing, bare = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        metrics = write_metrics(root)
        async with FakeSlack(token=TOKEN) as slack:
            for run_number in range(RUNS[size]):
                port = free_port()
                env = {
                    "SLACK_BOT_TOKEN": TOKEN,
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": slack.api_url,
                    "DATABASE_URL": f"sqlite+aiosqlite:///{root}/start-{run_number}.db",
                    "GOALPULSE_METRICS": str(metrics),
                    "PORT": str(port),
                }
                fresh.append(await _time_start(["-m", "bot", "run"], env, port))
                existing.append(await _time_start(["-m", "bot", "run"], env, port))
                bare_port = free_port()
                bare_args = [*BARE_APP, str(bare_port), slack.api_url, SECRET]
                bare.append(await _time_start(bare_args, {}, bare_port))
    floor = statistics.median(bare)
    # Both targets at once: under the absolute limit and within twice the bare app.
    limit = min(LIMIT_SECONDS, LIMIT_TIMES_BARE * floor)
    target = f"< {LIMIT_SECONDS:g} s, ≤ {LIMIT_TIMES_BARE:g}× bare"
    return [
        Figure(
            "start-up",
            "goalpulse run → /healthz 200, fresh SQLite (migrations included)",
            statistics.median(fresh),
            "s",
            "bare Bolt app",
            floor,
            target=target,
            limit=limit,
            judged=judged,
        ),
        Figure(
            "start-up",
            "goalpulse run → /healthz 200, existing SQLite",
            statistics.median(existing),
            "s",
            "bare Bolt app",
            floor,
            target=target,
            limit=limit,
            judged=judged,
        ),
    ]


if __name__ == "__main__":
    size = Size(sys.argv[1]) if len(sys.argv) > 1 else Size.FULL
    print(table(asyncio.run(run(size))))
