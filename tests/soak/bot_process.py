"""One bot process for the soak: `goalpulse run`'s start-up with a clock the soak turns.

The soak's driver writes the simulated time to a file; this process reads it for every `now`,
so days pass in minutes while everything else — the HTTP endpoint, the scheduler, the outbox,
the database, Slack over loopback — is the real thing. It runs until it is killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import datetime
from pathlib import Path

from bot.oauth.messengers import TeamMessengers
from bot.pacing import ChannelPacer
from bot.runtime import start_bot
from bot.settings import Settings, load_settings


class FileClock:
    """`now` as last written to a file (ISO 8601, aware)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())

    def write(self, now: datetime) -> None:
        """Set the time: written aside, then renamed, so a reader never sees half of it."""
        aside = self.path.with_suffix(".tmp")
        aside.write_text(now.isoformat(), encoding="utf-8")
        aside.replace(self.path)


async def serve() -> None:
    settings = load_settings(Settings)
    clock = FileClock(Path(os.environ["SOAK_CLOCK_FILE"]))
    tick = float(os.environ.get("SOAK_TICK_SECONDS", "0.1"))
    running = await start_bot(settings, host="127.0.0.1", clock=clock, tick_seconds=tick)
    engine = running.services.engine
    if isinstance(engine.context.messengers, TeamMessengers):
        # Slack's one message a second per channel is real time; the soak's time is not.
        engine.context.messengers.set_pacer(ChannelPacer(interval=0.01))
    port_file = Path(os.environ["SOAK_PORT_FILE"])
    await asyncio.to_thread(port_file.write_text, str(running.port), encoding="utf-8")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()


if __name__ == "__main__":
    asyncio.run(serve())
