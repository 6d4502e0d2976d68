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


async def _purge(args: argparse.Namespace) -> int:
    """Delete every row of one workspace (storage/purge.py), after showing what goes."""
    from bot.runtime import open_database
    from storage.purge import count_rows, purge_team

    team = str(args.team)
    database, _ = await open_database(load_settings(DatabaseSettings).database_url)
    try:
        counts = await count_rows(database, team)
        if not counts:
            print(f"{team}: no rows; nothing to delete")
            return 0
        print(f"{team}: " + ", ".join(f"{table} {n}" for table, n in sorted(counts.items())))
        if not args.yes:
            if not sys.stdin.isatty():
                print("nothing deleted; add --yes to delete these rows")
                return 1
            asked = f"type {team} to delete these rows for good: "
            if (await asyncio.to_thread(input, asked)).strip() != team:
                print("nothing deleted")
                return 1
        deleted = await purge_team(database, team)
    finally:
        await database.dispose()
    print(f"{team}: deleted {sum(deleted.values())} rows from {len(deleted)} tables")
    return 0


async def _check(args: argparse.Namespace) -> int:
    from bot.check import check_command

    return await check_command(args)


async def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    # Replies carry emoji; a terminal that cannot show them gets "?" rather than a crash.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    await run_demo(sys.stdout, lang=args.lang)
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
    sub.choices["demo"].add_argument(
        "--lang", default="en", choices=("en", "zh-CN"), help="the demo's language (default: en)"
    )
    purge = sub.add_parser(
        "purge", help="delete every row of one workspace (after it uninstalled), then exit"
    )
    purge.add_argument("--team", required=True, help="the workspace's team id (T…)")
    purge.add_argument("--yes", action="store_true", help="do not ask before deleting")
    purge.set_defaults(handler=_purge)
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
