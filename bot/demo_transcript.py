"""The demo's transcript: who typed which command, the bot's replies and the engine's messages
as terminal text, and the narration between them (bot/demo.py tells the session through it)."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from slack_sdk.models.blocks import Block

from bot.constants import SLASH_COMMAND
from bot.render.terminal import (
    BOLD,
    DIM,
    RESET,
    blocks_to_text,
    display_width,
    mrkdwn_to_text,
    wrap_text,
)
from jobs.i18n import _, ngettext
from jobs.metrics.catalog import CsvSource, Metric, MetricCatalog
from jobs.metrics.pull import PullResult

GUTTER = "  │ "
NARRATION_WIDTH = 88


class Transcript:
    """Writes the session the way a newcomer reads it: who typed what, and the bot's answer."""

    def __init__(
        self, stream: TextIO, *, users: Mapping[str, str], channels: Mapping[str, str]
    ) -> None:
        self.stream = stream
        self.color = wants_color(stream)
        self.users, self.channels = users, channels
        columns = shutil.get_terminal_size().columns if self.color else 100
        self.width = min(max(columns, 60), 100) - len(GUTTER) - 1

    def line(self, text: str = "", style: str = "") -> None:
        self.stream.write(f"{style}{text}{RESET}\n" if style and self.color else f"{text}\n")

    def heading(self, title: str) -> None:
        self.line(f"── {title} " + "─" * max(4, 76 - display_width(title)), BOLD)
        self.line()

    def command(self, channel_id: str, user_id: str, text: str) -> None:
        """`@ana in #growth ▸ /goal set dau 150k`: who typed which command where."""
        typed = mrkdwn_to_text(f"{SLASH_COMMAND} {text}", users=self.users)
        who = _("{user} in {channel}").format(
            user=f"@{self.users[user_id]}", channel=f"#{self.channels[channel_id]}"
        )
        self.line(f"{who} ▸ {typed}", BOLD)

    def paragraph(self, text: str, style: str = "") -> None:
        width = min(self.width + len(GUTTER), NARRATION_WIDTH)
        # English wraps as it always has; a line with wide (CJK) characters breaks between them.
        wide = display_width(text) != len(text)
        for line in wrap_text(text, width).splitlines() if wide else textwrap.wrap(text, width):
            self.line(line, style)
        self.line()

    def step(self, when: str, narration: str) -> None:
        self.line(when, BOLD)
        self.paragraph(narration)

    def message(self, where: str, blocks: Sequence[Block]) -> None:
        """A message the engine sent, under a line saying where it went."""
        self.line(f"  ── {where} ──", DIM)
        self.reply(blocks)

    def reply(self, blocks: Sequence[Block]) -> None:
        text = blocks_to_text(
            blocks, users=self.users, channels=self.channels, color=self.color, width=self.width
        )
        for line in text.splitlines():
            self.line(f"{GUTTER}{line}".rstrip())
        self.line()

    def intro(self, catalog: MetricCatalog, today: date, metrics_path: Path) -> None:
        self.line(_("goalpulse demo"), BOLD)
        self.line(
            _(
                "Two Slack channels set goals with /goal, then the engine pulls the metrics,\n"
                "measures each goal against its bands and builds each channel's daily digest.\n"
                "Then the demo's clock moves on for four days to follow one goal as it slips: "
                "the\nescalation DMs and its 72-hour remediation thread, from the first alert to "
                "overdue.\nLast, a week of an owner's daily check-ins, one missed, and the weekly "
                "summary.\nEvery step is the real code, on a fresh SQLite database in a temporary "
                "folder.\nNo Slack workspace is involved: messages are shown as text."
            )
        )
        self.line()
        self.line(_("People: @ana (growth), @li (team lead), @mei (operations), @wei (CEO)."))
        self.line()
        self.line(_("Sample metrics, from {path}.").format(path=metrics_path))
        self.line(
            _(
                "The CSVs hold made-up daily values for the 30 days up to today, {today};\n"
                "the datasets, made-up orders and activity events of the last 60 days:"
            ).format(today=today.isoformat())
        )
        metrics: list[Metric] = list(catalog)  # in the file's order
        width = max(len(m.key) for m in metrics) + 2
        for metric in metrics:
            self.line(f"  {metric.key:<{width}}{metric.title} · {_origin(metric)}")
        self.line()

    def pulled(self, results: Sequence[PullResult]) -> None:
        width = max(len(r.metric_key) for r in results) + 2
        for result in results:
            # The source's own words, as `goalpulse pull` prints them: quoted, not translated.
            error = (result.error or "").removeprefix(f"{result.metric_key}: ")
            outcome = (
                _("FAILED: {error}").format(error=f"`{error}`")
                if result.error
                else ngettext("{n} day stored", "{n} days stored", result.days).format(
                    n=result.days
                )
            )
            self.line(f"  {result.metric_key:<{width}}{outcome}")
        self.line("  " + _("(nps is manual: its value came from /goal checkin above)"), DIM)
        self.line()

    def outro(self, charts: Path, written: Sequence[Path]) -> None:
        self.heading(_("What happens next"))
        shown = (
            f"./{charts.relative_to(Path.cwd())}" if charts.is_relative_to(Path.cwd()) else charts
        )
        self.line(
            ngettext(
                "The charts Slack would get with the digests: {n} PNG in {folder}/",
                "The charts Slack would get with the digests: {n} PNGs in {folder}/",
                len(written),
            ).format(n=len(written), folder=shown)
        )
        for path in written:
            self.line(f"  {path.name}")
        self.line()
        self.line(_("The demo database was a temporary file and has been deleted."))
        self.line()
        self.line(
            _(
                "To use goalpulse in a Slack workspace: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET\n"
                "and GOALPULSE_METRICS, then run `goalpulse run`."
            )
        )


def _origin(metric: Metric) -> str:
    if isinstance(metric.source, CsvSource):
        return _("{path}, column {column}").format(
            path=metric.source.path, column=metric.source.value_column
        )
    if metric.measure is not None:
        return _("computed from the datasets: {measure}").format(measure=metric.measure)
    if metric.source is None:
        return _("formula: {formula}").format(formula=metric.formula)
    return (
        _("manual: typed in with /goal checkin")
        if metric.source.kind == "manual"
        else metric.source.kind
    )


def wants_color(stream: TextIO) -> bool:
    """ANSI styles only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return (
        bool(isatty and isatty())
        and "NO_COLOR" not in os.environ
        and os.environ.get("TERM") != "dumb"
    )
