"""`goalpulse pull`, `evaluate` and `digest`: one engine step on demand, then exit."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.render.digest import digest_blocks
from bot.render.terminal import blocks_to_text
from bot.runtime import build_engine, open_database
from bot.services import utc_now
from bot.settings import EngineSettings, Settings, load_settings
from bot.slack_client import build_client, slack_session
from jobs.digest.build import load_schedules
from jobs.engine import Engine
from jobs.metrics.catalog import load_catalog
from storage.db import Database


@asynccontextmanager
async def engine_session(*, posting: bool) -> AsyncIterator[Engine]:
    """An engine on the configured database; with a Slack client only when it must post."""
    settings: EngineSettings = load_settings(Settings if posting else EngineSettings)
    catalog = load_catalog(settings.goalpulse_metrics)
    database: Database
    database, _ = await open_database(settings.database_url)
    async with slack_session() as http:
        client = None
        if isinstance(settings, Settings):
            client = build_client(
                settings.slack_bot_token, api_url=settings.slack_api_url, session=http
            )
        engine = build_engine(
            settings, database=database, catalog=catalog, http=http, client=client, clock=utc_now
        )
        try:
            yield engine
        finally:
            await engine.fetcher.close()
            await database.dispose()


async def pull_command(args: argparse.Namespace) -> int:
    """Pull metrics now; exit 1 when a source failed (the others were still stored)."""
    async with engine_session(posting=False) as engine:
        results = await engine.pull(args.metric or None)
    for result in results:
        outcome = f"FAILED: {result.error}" if result.error else f"{result.days} days stored"
        print(f"{result.metric_key}: {outcome}")
    return 1 if any(r.error for r in results) else 0


async def evaluate_command(_args: argparse.Namespace) -> int:
    """Evaluate every active goal for today."""
    async with engine_session(posting=False) as engine:
        count = await engine.evaluate()
        day = engine.today()
    print(f"evaluated {count} goals for {day.isoformat()}")
    return 0


async def digest_command(args: argparse.Namespace) -> int:
    """Post (or with --dry-run, print) each channel's digest now."""
    async with engine_session(posting=not args.dry_run) as engine:
        async with engine.database.transaction() as session:
            schedules = await load_schedules(session=session, default_timezone=engine.timezone)
        chosen = [s for s in schedules if args.channel in (None, s.channel_id)]
        if not chosen:
            print(f"no channel with active goals{f' named {args.channel}' if args.channel else ''}")
            return 1
        for schedule in chosen:
            digest = await engine.digest_for(
                schedule.team_id,
                schedule.channel_id,
                local_date=engine.today(),
                timezone=schedule.timezone,
            )
            if digest is None:
                continue
            bands = Counter(line.band for line in digest.lines)
            if args.dry_run:
                print(f"── #{schedule.channel_id} ({schedule.team_id}) " + "─" * 40)
                print(blocks_to_text(digest_blocks(digest), color=sys.stdout.isatty()))
            else:
                ts = await engine.messenger_for(schedule.team_id).publish_digest(digest)
                print(f"{schedule.channel_id}: posted ts={ts} {dict(bands)}")
    return 0


def add_engine_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register pull, evaluate and digest on the command line."""
    pull = sub.add_parser("pull", help="pull metrics now (all, or --metric KEY ...)")
    pull.add_argument("--metric", action="append", help="a metric key; repeat for more")
    pull.set_defaults(handler=pull_command)
    evaluate = sub.add_parser("evaluate", help="evaluate every active goal for today")
    evaluate.set_defaults(handler=evaluate_command)
    digest = sub.add_parser("digest", help="post each channel's digest now")
    digest.add_argument("--channel", help="only this channel id")
    digest.add_argument("--dry-run", action="store_true", help="print instead of posting")
    digest.set_defaults(handler=digest_command)
