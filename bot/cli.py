"""`goalpulse` command line: run, migrate, check, demo, and the engine steps on demand."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from bot.logging_setup import configure_logging
from bot.settings import DatabaseSettings, LoggingSettings, Settings, load_settings
from jobs.errors import ConfigError
from storage.db import redacted

EXIT_CONFIG = 2
Handler = Callable[[argparse.Namespace], Awaitable[int]]


async def _run(_args: argparse.Namespace) -> int:
    settings = load_settings(Settings)
    from bot.runtime import start_bot

    bot = await start_bot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await bot.stop()
    return 0


async def _migrate(_args: argparse.Namespace) -> int:
    from bot.runtime import open_database

    url = load_settings(DatabaseSettings).database_url
    database, applied = await open_database(url)
    await database.dispose()
    if applied:
        print(f"{redacted(url)}: applied {', '.join(applied)}")
    else:
        print(f"{redacted(url)}: already up to date")
    return 0


async def _check(args: argparse.Namespace) -> int:
    from bot.check import check_command

    return await check_command(args)


async def _demo(_args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    # Replies carry emoji; a terminal that cannot show them gets "?" rather than a crash.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    await run_demo(sys.stdout)
    return 0


COMMANDS: dict[str, tuple[str, Handler]] = {
    "run": ("start the bot (Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT)", _run),
    "migrate": ("create or upgrade the database schema, then exit", _migrate),
    "check": (
        "check the configuration, database, Slack token and every source, then exit",
        _check,
    ),
    "demo": ("run goalpulse on bundled sample data, no Slack needed", _demo),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; a bad setting prints one line and exits with status 2."""
    parser = argparse.ArgumentParser(prog="goalpulse", description="Team goals on real metrics.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, handler) in COMMANDS.items():
        sub.add_parser(name, help=help_text).set_defaults(handler=handler)
    from bot.engine_cli import add_engine_commands

    add_engine_commands(sub)
    args = parser.parse_args(argv)
    try:
        configure_logging(load_settings(LoggingSettings).goalpulse_log_format)
        with contextlib.suppress(KeyboardInterrupt):
            return int(asyncio.run(args.handler(args)))
    except ConfigError as exc:
        print(f"goalpulse: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main())
