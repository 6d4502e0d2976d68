"""The health benchmark's bot side: `/goal list` acked while the bot process backfills.

The bot is `goalpulse run`'s start_bot on SQLite, seeded as in tests/benchmarks/ack_latency.py.
In the loaded run, the same process computes 90-day backfills of every built-in measure from
the Parquet files back to back on its own event loop, as a dataset pull does, and logs its peak
RSS after each. 20 users send `/goal list` during the second backfill (the first warms up);
the same load on an idle bot is the comparison.

    python -m tests.benchmarks.health_bot --serve-backfill LOG --data DIR --since D --until D
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from tests.benchmarks.ack_latency import (
    CONCURRENCY,
    SECRET,
    SIZES,
    TOKEN,
    Replies,
    free_port,
    load,
    percentile,
    seed,
    server,
    wait_until_up,
    write_metrics,
)
from tests.benchmarks.report import Figure, Size
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

BACKFILLS_BEFORE_LOAD = 1


async def serve_backfill(log_path: Path, folder: Path, since: date, until: date) -> None:
    """goalpulse, with 90-day backfills of every built-in measure running back to back."""
    from bot.runtime import start_bot
    from bot.settings import Settings, load_settings
    from jobs.customers.compute import compute_measures
    from jobs.customers.measures import DAY_MEASURES
    from tests.benchmarks.health_child import peak_rss_mb
    from tests.benchmarks.health_data import TIMEZONE, file_datasets

    await start_bot(load_settings(Settings), host="127.0.0.1")
    datasets = file_datasets()
    with log_path.open("a") as log:
        while True:
            started = time.time()
            log.write(json.dumps({"start": started}) + "\n")
            log.flush()
            await compute_measures(
                datasets,
                measures=tuple(DAY_MEASURES),
                since=since,
                until=until,
                timezone=TIMEZONE,
                base_dir=folder,
                env=dict(os.environ),
            )
            ended = {"start": started, "end": time.time(), "peak_mb": peak_rss_mb()}
            log.write(json.dumps(ended) + "\n")
            log.flush()


async def acks_during_backfill(
    size: Size, folder: Path, *, since: date, until: date
) -> list[Figure]:
    """`/goal list` ack latencies, idle and during a backfill; the bot's peak RSS."""
    goals, requests, _ = SIZES[size]
    judged = size is Size.FULL
    today = datetime.now().date()  # noqa: DTZ005 - the bot's "today" is the local date
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        metrics = write_metrics(root)
        database = f"sqlite+aiosqlite:///{root / 'bot.db'}"
        await seed(database, goals, today=today)
        log_path = root / "backfills.jsonl"
        async with FakeSlack(token=TOKEN) as slack:

            def bot_env(port: int) -> dict[str, str]:
                return {
                    "SLACK_BOT_TOKEN": TOKEN,
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": slack.api_url,
                    "DATABASE_URL": database,
                    "GOALPULSE_METRICS": str(metrics),
                    "PORT": str(port),
                }

            port = free_port()
            async with server(["-m", "bot", "run"], bot_env(port)):
                idle = await _measure(slack, port, requests, label="idle")
            serve = [
                *("-m", "tests.benchmarks.health_bot", "--serve-backfill", str(log_path)),
                *(
                    "--data",
                    str(folder),
                    "--since",
                    since.isoformat(),
                    "--until",
                    until.isoformat(),
                ),
            ]
            port = free_port()
            async with server(serve, bot_env(port)):
                await _wait_for_backfills(log_path, BACKFILLS_BEFORE_LOAD)
                window = (time.time(), 0.0)
                busy = await _measure(slack, port, requests, label="busy")
                window = (window[0], time.time())
                await _wait_for_backfills(log_path, BACKFILLS_BEFORE_LOAD + 1)
                backfills = _entries(log_path)
    return _figures(idle, busy, backfills, window, judged=judged)


async def _measure(slack: FakeSlack, port: int, requests: int, *, label: str) -> list[float]:
    """Ack latencies (ms) of `/goal list` from 20 users at once, after a warm-up."""
    url = f"http://127.0.0.1:{port}"
    await wait_until_up(url)
    replies = Replies(slack)
    async with SignedSlack(
        bot_url=url, signing_secret=SECRET, response_url=slack.response_url
    ) as client:
        await load(client, replies, "list", requests=50, users=1, label=f"{label}-warm")
        return await load(
            client, replies, "list", requests=requests, users=CONCURRENCY, label=label
        )


async def _wait_for_backfills(log_path: Path, count: int) -> list[dict[str, float]]:
    """The finished backfills, once there are `count` of them."""
    deadline = time.monotonic() + 1800
    while True:
        finished = [entry for entry in _entries(log_path) if "end" in entry]
        if len(finished) >= count:
            return finished
        assert time.monotonic() < deadline, "the bot's backfills never finished"
        await asyncio.sleep(0.2)


def _entries(log_path: Path) -> list[dict[str, float]]:
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


def _overlap(backfills: list[dict[str, float]], start: float, end: float) -> float:
    """Seconds of [start, end] during which a backfill ran (one still going counts to the end)."""
    runs: dict[float, float] = {}
    for entry in backfills:
        runs[entry["start"]] = entry.get("end", runs.get(entry["start"], end))
    return sum(max(0.0, min(stop, end) - max(begin, start)) for begin, stop in runs.items())


def _figures(
    idle: list[float],
    busy: list[float],
    backfills: list[dict[str, float]],
    window: tuple[float, float],
    *,
    judged: bool,
) -> list[Figure]:
    during = "20 users, during a 90-day backfill in the bot process"
    finished = [entry for entry in backfills if "end" in entry]
    seconds = statistics.median(entry["end"] - entry["start"] for entry in finished)
    length = window[1] - window[0]
    share = _overlap(backfills, *window) / max(length, 1e-9)
    return [
        Figure(
            "health",
            f"/goal list ack p50, {during}",
            statistics.median(busy),
            "ms",
            "idle",
            statistics.median(idle),
            judged=False,
        ),
        Figure(
            "health",
            f"/goal list ack p99, {during}",
            percentile(busy, 0.99),
            "ms",
            "idle",
            percentile(idle, 0.99),
            target="< 150 ms",
            limit=150,
            judged=judged,
        ),
        Figure(
            "health",
            "peak RSS of the bot process, backfilling",
            max(entry["peak_mb"] for entry in finished),
            "MB",
            target="< 1 GB",
            limit=1024,
            judged=judged,
        ),
        Figure(
            "health",
            "backfill in the bot process (each, median)",
            seconds,
            "s",
            target=f"one was running {share:.0%} of the load's {length:.1f} s",
            judged=False,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve-backfill", type=Path, metavar="LOG", required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--since", type=date.fromisoformat, required=True)
    parser.add_argument("--until", type=date.fromisoformat, required=True)
    args = parser.parse_args()
    asyncio.run(serve_backfill(args.serve_backfill, args.data, args.since, args.until))


if __name__ == "__main__":
    main()
