"""`goalpulse demo`: two channels set goals, then the engine pulls, evaluates and digests.

No Slack and no server: a fresh SQLite database in a temporary folder, the bundled sample
metrics with their data dated back from today, and each reply's Block Kit rendered as text.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TextIO

import aiohttp
import pandas as pd
from slack_sdk.models.blocks import Block

from bot.commands.handlers import Where, execute
from bot.commands.parse import parse_command
from bot.demo_checkins import CheckinWeek
from bot.demo_checkins import shown as checkin_shown
from bot.demo_messenger import SettableClock, TerminalMessenger
from bot.demo_story import STORY_GOAL, Story
from bot.demo_transcript import GUTTER, Transcript
from bot.errors import reply_blocks
from bot.render.digest import digest_blocks
from bot.render.terminal import BOLD
from bot.services import Services, utc_now
from jobs.context import EngineContext
from jobs.digest.chart import render_chart
from jobs.digest.model import ChannelDigest
from jobs.engine import Engine
from jobs.errors import GoalpulseError
from jobs.goals.service import Actor
from jobs.i18n import EN, _, use_locale
from jobs.messages import metric_of
from jobs.metrics.catalog import load_catalog
from jobs.metrics.sources import SourceFetcher
from storage.db import Database
from storage.models import WorkspaceSettings

DATA_DIR = Path(__file__).parent / "demo_data"
METRICS_PATH = DATA_DIR / "metrics.yml"
CHARTS_DIR = "goalpulse-demo-charts"
TEAM_ID = "T0DEMO"
TIMEZONE = "UTC"
USERS = {"U0ANA": "ana", "U0LI": "li", "U0WEI": "wei", "U0MEI": "mei"}
GROWTH, OPS = "C0GROWTH", "C0OPS"
CHANNELS = {GROWTH: "growth", OPS: "ops"}
START = time(8, 0)  # the demo's clock starts today at 08:00 UTC: the morning pull


@dataclass(frozen=True)
class Step:
    """One `/goal` command as someone types it in a channel (the text Slack sends us)."""

    channel_id: str
    user_id: str
    text: str


def script(today: date) -> list[tuple[str, list[Step]]]:
    """The commands typed before the pull, in chapters: a title and the steps."""
    due = f"{today.year + 1}-03-31"  # always in the future, whenever the demo runs

    return [
        (
            _("#growth sets its goals (one command has a mistake in it)"),
            [
                Step(GROWTH, "U0LI", "config ceo <@U0WEI|wei> lead <@U0LI|li> digest 09:00"),
                Step(GROWTH, "U0ANA", "set dau 150k owner <@U0ANA|ana> lead <@U0LI|li>"),
                Step(GROWTH, "U0LI", "thresholds dau 5% 15% 25%"),
                Step(GROWTH, "U0ANA", "set dau 30%"),
                Step(GROWTH, "U0ANA", "set next_day_retention 35% lead <@U0LI|li>"),
                Step(GROWTH, "U0ANA", "set conversion_rate 3.5%"),
                Step(GROWTH, "U0LI", f"set gmv ¥2.5M by {due}"),
                Step(GROWTH, "U0LI", "set active_rate_30d 40%"),
                Step(GROWTH, "U0LI", "set retention_7d 20%"),
                Step(GROWTH, "U0LI", "set aov_30d ¥175"),
            ],
        ),
        (
            _("#ops sets its goals and checks in a survey result"),
            [
                Step(OPS, "U0MEI", "config lead <@U0MEI|mei>"),
                Step(OPS, "U0MEI", "set complaint_rate 2% lower"),
                Step(OPS, "U0MEI", "set refund_rate 1.5% lower"),
                Step(OPS, "U0MEI", "set nps 40 owner <@U0MEI|mei> lead <@U0LI|li>"),
                Step(OPS, "U0MEI", "checkin nps 43 quarterly survey, 1,204 answers"),
            ],
        ),
    ]


REVIEW = [
    Step(GROWTH, "U0ANA", "list"),
    Step(OPS, "U0MEI", "list"),
    Step(GROWTH, "U0ANA", "show conversion_rate"),
]


def materialise(folder: Path, today: date) -> Path:
    """Copy metrics.yml and the data into `folder`, `days_ago` becoming dates (with a `time`
    of day, naive UTC timestamps in `occurred_at`); the yml's path."""
    for bundled in sorted(DATA_DIR.glob("*.csv")):
        frame = _dated(pd.read_csv(bundled, dtype=str, keep_default_na=False), today)
        frame.to_csv(folder / bundled.name, index=False)
    for bundled in sorted(DATA_DIR.glob("*.parquet")):
        _dated(pd.read_parquet(bundled), today).to_parquet(folder / bundled.name, index=False)
    return Path(shutil.copy(METRICS_PATH, folder / METRICS_PATH.name))


def _dated(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    """`days_ago` as a `day` column first, or with `time` as an `occurred_at` timestamp."""
    days = pd.Timestamp(today) - pd.to_timedelta(frame.pop("days_ago").astype(int), unit="D")
    if "time" not in frame:
        frame.insert(0, "day", days.dt.date.map(date.isoformat))
        return frame
    frame.insert(0, "occurred_at", days + pd.to_timedelta(frame.pop("time")))
    return frame


async def run_demo(stream: TextIO, *, charts_dir: Path | None = None, lang: str = EN) -> None:
    """Run the sample session against a throwaway database and write it to `stream`, in
    `lang`: the narration, and every reply and message, as the workspace's language."""
    with use_locale(lang) as locale:
        await _run_demo(stream, charts_dir=charts_dir, locale=locale)


async def _run_demo(stream: TextIO, *, charts_dir: Path | None, locale: str) -> None:
    out = Transcript(stream, users=USERS, channels=CHANNELS)
    charts = charts_dir or Path.cwd() / CHARTS_DIR
    today = utc_now().date()
    clock = SettableClock(datetime.combine(today, START, tzinfo=UTC))
    with tempfile.TemporaryDirectory(prefix="goalpulse-demo-") as name:
        folder = Path(name)
        catalog = load_catalog(materialise(folder, today))
        out.intro(catalog, today, METRICS_PATH.relative_to(DATA_DIR.parent.parent))
        database = Database(f"sqlite+aiosqlite:///{folder / 'goalpulse.db'}")
        try:
            with _quiet("alembic"):
                # Imported here so that Alembic's import-time INFO lines are quieted too.
                from storage import migrate

                await migrate.upgrade(database)
            if locale != EN:  # the language the workspace reads, as `config workspace language`
                async with database.transaction() as session:
                    session.add(
                        WorkspaceSettings(team_id=TEAM_ID, language=locale, updated_at=clock())
                    )
            messenger = TerminalMessenger(
                show=out.message,
                clock=clock,
                channels=CHANNELS,
                users=USERS,
                shown=lambda message: metric_of(message) == STORY_GOAL or checkin_shown(message),
            )
            async with aiohttp.ClientSession() as http:
                context = EngineContext(
                    database=database,
                    messenger=messenger,  # nothing is posted: the demo prints instead
                    catalog=catalog,
                    clock=clock,
                    timezone=TIMEZONE,
                )
                engine = Engine(
                    context=context,
                    # Relative CSV paths resolve against the copied metrics.yml's folder.
                    fetcher=SourceFetcher(base_dir=folder, env={}, http=http),
                )
                services = Services(
                    database=database,
                    catalog=catalog,
                    timezone=TIMEZONE,
                    clock=clock,
                    engine=engine,
                )
                for title, steps in script(today):
                    out.heading(title)
                    for step in steps:
                        out.command(step.channel_id, step.user_id, step.text)
                        out.reply(await run_step(step, services))
                out.heading(_("The engine pulls every metric (what a scheduled pull does)"))
                with _quiet("goalpulse.pull", logging.ERROR):  # the failure is printed below
                    out.pulled(await engine.pull())
                out.heading(_("What each channel now sees"))
                for step in REVIEW:
                    out.command(step.channel_id, step.user_id, step.text)
                    out.reply(await run_step(step, services))
                out.heading(_("This morning's digests, as Slack shows them"))
                written = [await _digest(engine, channel, out, charts) for channel in CHANNELS]
                story = Story(
                    engine, messenger, clock, out, folder, team_id=TEAM_ID, channel_id=GROWTH
                )
                await story.run()
                await CheckinWeek(
                    story, lambda user, text: _say(Step(GROWTH, user, text), services, out)
                ).run()
                await engine.fetcher.close()
        finally:
            await database.dispose()
    out.outro(charts, [path for path in written if path])


async def _digest(engine: Engine, channel_id: str, out: Transcript, charts: Path) -> Path | None:
    """Print a channel's digest and write its chart; returns the PNG's path, if any."""
    today = engine.today()
    digest = await engine.digest_for(TEAM_ID, channel_id, local_date=today, timezone=TIMEZONE)
    out.line(_("{channel} digest:").format(channel=f"#{CHANNELS[channel_id]}"), BOLD)
    if digest is None:
        out.line(GUTTER + _("(no digest: no goals)"))
        return None
    out.reply(digest_blocks(digest))
    name = f"{CHANNELS[channel_id]}-{today.isoformat()}.png"
    return await asyncio.to_thread(_write_chart, digest, charts / name)


def _write_chart(digest: ChannelDigest, path: Path) -> Path | None:
    """The chart Slack would get with the digest, as a PNG file (None when there is none)."""
    png = render_chart(digest)
    if png is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


async def _admin() -> bool:
    return True  # everyone is a workspace admin in the demo, so `config ceo` works


async def run_step(step: Step, services: Services) -> list[Block]:
    """Parse and execute one command as the slash-command listener does; errors become replies."""

    try:
        command = parse_command(step.text, catalog=services.catalog, today=services.today())
        return await execute(
            command,
            services=services,
            where=Where(team_id=TEAM_ID, channel_id=step.channel_id),
            actor=Actor(user_id=step.user_id, is_admin=_admin),
        )
    except GoalpulseError as error:
        return reply_blocks(error)


async def _say(step: Step, services: Services, out: Transcript) -> None:
    out.command(step.channel_id, step.user_id, step.text)
    out.reply(await run_step(step, services))


@contextmanager
def _quiet(logger_name: str, level: int = logging.WARNING) -> Iterator[None]:
    # Log lines (Alembic's INFO, the pull's warnings) would be noise between the demo's lines.
    logger = logging.getLogger(logger_name)
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)
