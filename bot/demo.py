"""`goalpulse demo`: two channels set sample goals through the real `/goal` path, in a terminal.

No Slack and no server: a fresh SQLite database in a temporary folder, the bundled sample
metrics, and each reply's Block Kit rendered as text.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from slack_sdk.models.blocks import Block

from bot.commands.handlers import Where, execute
from bot.commands.parse import parse_command
from bot.constants import SLASH_COMMAND
from bot.errors import reply_blocks
from bot.render.terminal import BOLD, DIM, RESET, blocks_to_text, mrkdwn_to_text
from bot.services import Services
from jobs.errors import GoalpulseError
from jobs.goals import Actor
from jobs.metrics import (
    CsvSource,
    HttpSource,
    ManualSource,
    Metric,
    MetricCatalog,
    SqlSource,
    load_catalog,
)
from storage.db import Database

PACKAGE_ROOT = Path(__file__).parent.parent
METRICS_PATH = Path(__file__).parent / "demo_data" / "metrics.yml"
TEAM_ID = "T0DEMO"
USERS = {"U0ANA": "ana", "U0LI": "li", "U0WEI": "wei", "U0MEI": "mei"}
CHANNELS = {"C0GROWTH": "growth", "C0OPS": "ops"}
GUTTER = "  │ "


@dataclass(frozen=True)
class Step:
    """One `/goal` command as someone types it in a channel (the text Slack sends us)."""

    channel_id: str
    user_id: str
    text: str


def script(today: date) -> list[tuple[str, list[Step]]]:
    """The sample session, in chapters: a title and the commands typed."""
    due = f"{today.year + 1}-03-31"  # always in the future, whenever the demo runs
    growth = [
        Step(
            "C0GROWTH",
            "U0LI",
            "config ceo <@U0WEI|wei> lead <@U0LI|li> digest 09:00 tz Asia/Shanghai",
        ),
        Step("C0GROWTH", "U0ANA", "set dau 150k owner <@U0ANA|ana> lead <@U0LI|li>"),
        Step("C0GROWTH", "U0LI", "thresholds dau 5% 15% 25%"),
        Step("C0GROWTH", "U0ANA", "set next_day_retention 35% lead <@U0LI|li>"),
        Step("C0GROWTH", "U0LI", f"set gmv ¥2.5M by {due}"),
        Step("C0GROWTH", "U0ANA", "set dau 30%"),
    ]
    ops = [
        Step("C0OPS", "U0MEI", "config lead <@U0MEI|mei>"),
        Step("C0OPS", "U0MEI", "set complaint_rate 2% lower"),
        Step("C0OPS", "U0MEI", "set nps 40 owner <@U0MEI|mei> lead <@U0LI|li>"),
    ]
    review = [
        Step("C0GROWTH", "U0ANA", "list"),
        Step("C0OPS", "U0MEI", "list"),
        Step("C0GROWTH", "U0ANA", "show dau"),
    ]
    return [
        ("#growth sets its goals (the last command has a mistake in it)", growth),
        ("#ops sets its goals", ops),
        ("What each channel now sees", review),
    ]


async def run_demo(stream: TextIO) -> None:
    """Run the sample session against a throwaway database and write it to `stream`."""
    out = _Transcript(stream, color=_wants_color(stream))
    catalog = load_catalog(METRICS_PATH)
    out.intro(catalog)
    with tempfile.TemporaryDirectory(prefix="goalpulse-demo-") as folder:
        database = Database(f"sqlite+aiosqlite:///{Path(folder) / 'goalpulse.db'}")
        try:
            with _quiet("alembic"):
                # Imported here so that Alembic's import-time INFO lines are quieted too.
                from storage import migrate

                await migrate.upgrade(database)
            services = Services(database=database, catalog=catalog)
            for title, steps in script(services.today()):
                out.heading(title)
                for step in steps:
                    out.command(step)
                    out.reply(await run_step(step, services))
        finally:
            await database.dispose()
    out.outro()


async def run_step(step: Step, services: Services) -> list[Block]:
    """Parse and execute one command as the slash-command listener does; errors become replies."""

    async def is_admin() -> bool:
        return True  # everyone is a workspace admin in the demo, so `config ceo` works

    try:
        command = parse_command(step.text, catalog=services.catalog, today=services.today())
        return await execute(
            command,
            services=services,
            where=Where(team_id=TEAM_ID, channel_id=step.channel_id),
            actor=Actor(user_id=step.user_id, is_admin=is_admin),
        )
    except GoalpulseError as error:
        return reply_blocks(error)


class _Transcript:
    """Writes the session the way a newcomer reads it: who typed what, and the bot's answer."""

    def __init__(self, stream: TextIO, *, color: bool) -> None:
        self.stream = stream
        self.color = color
        columns = shutil.get_terminal_size().columns if color else 100
        self.width = min(max(columns, 60), 100) - len(GUTTER) - 1

    def line(self, text: str = "", style: str = "") -> None:
        self.stream.write(f"{style}{text}{RESET}\n" if style and self.color else f"{text}\n")

    def heading(self, title: str) -> None:
        self.line(f"── {title} " + "─" * max(4, 76 - len(title)), BOLD)
        self.line()

    def command(self, step: Step) -> None:
        typed = mrkdwn_to_text(f"{SLASH_COMMAND} {step.text}", users=USERS)
        who = f"@{USERS[step.user_id]} in #{CHANNELS[step.channel_id]}"
        self.line(f"{who} ▸ {typed}", BOLD)

    def reply(self, blocks: Sequence[Block]) -> None:
        text = blocks_to_text(blocks, users=USERS, color=self.color, width=self.width)
        for line in text.splitlines():
            self.line(f"{GUTTER}{line}".rstrip())
        self.line()

    def intro(self, catalog: MetricCatalog) -> None:
        self.line("goalpulse demo", BOLD)
        self.line(
            "Two Slack channels set goals with /goal. Every command below goes through the real\n"
            "parser, goal services and Block Kit replies, against a fresh SQLite database in a\n"
            "temporary folder. No Slack workspace is involved: replies are shown as text."
        )
        self.line()
        self.line("People: @ana (growth), @li (team lead), @mei (operations), @wei (CEO).")
        self.line()
        self.line(f"Sample metrics, from {METRICS_PATH.relative_to(PACKAGE_ROOT)}:")
        metrics: list[Metric] = list(catalog)  # in the file's order
        width = max(len(m.key) for m in metrics) + 2
        for metric in metrics:
            self.line(f"  {metric.key:<{width}}{metric.title} ({metric.unit.value})")
            self.line(f"  {'':<{width}}{_origin(metric)}", DIM)
        self.line()

    def outro(self) -> None:
        self.heading("What happens next")
        self.line(
            "The goals above are stored, but nothing has been measured yet: each one says\n"
            '"no data yet". Pulling metric values, measuring each goal against its bands,\n'
            "daily digests, escalation and 72-hour remediation threads arrive in later\n"
            "versions. The demo database was a temporary file and has been deleted.\n"
            "\n"
            "To use goalpulse in a Slack workspace: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET\n"
            "and GOALPULSE_METRICS, then run `goalpulse run`."
        )


def _origin(metric: Metric) -> str:
    match metric.source:
        case CsvSource(path=path, value_column=column):
            return f"csv: {path}, column {column}"
        case HttpSource(url=url):
            return f"http: {url} (not called by the demo)"
        case SqlSource():
            return "sql: a read-only query"
        case ManualSource():
            return "manual: values typed in with /goal checkin"
    return f"formula: {metric.formula}"


def _wants_color(stream: TextIO) -> bool:
    """ANSI styles only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return (
        bool(isatty and isatty())
        and "NO_COLOR" not in os.environ
        and os.environ.get("TERM") != "dumb"
    )


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    # Alembic logs every migration at INFO; in the demo that is noise between the lines.
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
