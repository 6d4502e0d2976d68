"""One bot process for the many-workspaces benchmark: `goalpulse run`'s start-up, with a claim
lease short enough for a killed process's digests to be taken over within the run.

`goalpulse run` has no setting for the lease (5 minutes, jobs/context.py SendTiming) nor for
the tick (60 s); the benchmark sets both here (BENCH_LEASE_SECONDS, BENCH_TICK_SECONDS).
Everything else is the real thing: settings from the environment, OAuth, PostgreSQL, charts.
It runs until it is stopped (SIGTERM) or killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta

from bot.runtime import start_bot
from bot.settings import Settings, load_settings
from jobs.context import SendTiming


async def serve() -> None:
    settings = load_settings(Settings)
    lease = float(os.environ.get("BENCH_LEASE_SECONDS", "300"))
    tick = float(os.environ.get("BENCH_TICK_SECONDS", "60"))
    running = await start_bot(settings, host="127.0.0.1", tick_seconds=tick)
    engine = running.services.engine
    # Digests hold their claim for `lease`; outbox sends keep the default timing.
    engine.timing = SendTiming(
        lease=timedelta(seconds=lease), send_timeout=timedelta(seconds=lease / 2)
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()


def main() -> None:
    """Serve; with BENCH_PROFILE set, write a cProfile of the whole run to that file."""
    target = os.environ.get("BENCH_PROFILE")
    if not target:
        asyncio.run(serve())
        return
    import cProfile

    with cProfile.Profile() as profile:
        asyncio.run(serve())
    profile.dump_stats(f"{target}.{os.getpid()}")


if __name__ == "__main__":
    main()
