"""The demo's stand-ins for Slack and for time: a messenger that prints, and a clock to set.

`TerminalMessenger` implements `jobs.messenger.Messenger`: every DM, thread post, file and
in-place edit the engine sends is rendered with the real Block Kit renderers and handed to
`show` with a heading saying where it went. Nothing leaves the machine; the ts values it
returns are fake (increasing, Slack-shaped) and so are its permalinks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk.models.blocks import Block

from bot.render.block_kit import context_block
from bot.render.digest import digest_blocks
from bot.render.escalation import render
from jobs.digest.model import ChannelDigest
from jobs.i18n import _
from jobs.messages import Outgoing, SourceNotice, metric_of

WORKSPACE_URL = "https://acme.slack.com"
RECIPIENT_TIMEZONE = "Europe/Berlin"

# Where a message went (the heading) and its blocks.
Show = Callable[[str, list[Block]], None]


class SettableClock:
    """The engine's `now`: it stays where it was set until the demo moves it on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        if now < self.now:
            raise ValueError("the demo's clock only moves forward")
        self.now = now

    def advance(self, delta: timedelta) -> None:
        self.set(self.now + delta)


@dataclass
class TerminalMessenger:
    """Prints what the engine sends instead of sending it.

    Only messages about goals that `shown` accepts are printed; the others are counted in
    `hidden` (by metric key), and DMs about a failing source in `hidden_notices`, so a long
    story can follow one goal.
    """

    show: Show
    clock: Callable[[], datetime]
    channels: Mapping[str, str]  # channel id -> name
    users: Mapping[str, str]  # user id -> name
    shown: Callable[[Outgoing], bool] = lambda message: True
    hidden: Counter[str] = field(default_factory=Counter)
    hidden_notices: Counter[str] = field(default_factory=Counter)
    # The latest DM (DM channel, ts) by (user, metric key): what a click on its buttons names.
    dms: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # The names of the files uploaded (charts), in order.
    files: list[str] = field(default_factory=list)
    # Shown and hidden messages are numbered apart: goals are sent concurrently, so only one
    # goal's own order is fixed, and the printed ts must be the same on every run.
    _numbers: Counter[bool] = field(default_factory=Counter)

    # -- Messenger ---------------------------------------------------------------------------

    async def post(
        self, channel_id: str, message: Outgoing, *, thread_ts: str | None = None
    ) -> str:
        ts = self._ts(message)
        channel = self._channel(channel_id)
        where = (
            _("{channel} · in the thread of {ts}").format(channel=channel, ts=thread_ts)
            if thread_ts
            else _("{channel} · new message {ts}").format(channel=channel, ts=ts)
        )
        self._print(where, message)
        return ts

    async def update(self, channel_id: str, ts: str, message: Outgoing) -> None:
        where = (
            _("DM to {user} · edited in place").format(user=self._user(self._dm_user(channel_id)))
            if channel_id.startswith("D")
            else _("{channel} · message {ts} · edited in place").format(
                channel=self._channel(channel_id), ts=ts
            )
        )
        self._print(where, message)

    async def send_dm(self, user_id: str, message: Outgoing) -> tuple[str, str]:
        self._print(_("DM to {user}").format(user=self._user(user_id)), message)
        sent = (f"D{user_id[1:]}", self._ts(message))
        self.dms[user_id, metric_of(message)] = sent
        return sent

    async def upload_file(
        self, channel_id: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> str:
        """Says which file went where; the file itself stays in memory."""
        where = _("{channel} · in the thread of {ts}").format(
            channel=self._channel(channel_id), ts=thread_ts
        )
        self.show(where, [context_block(f":frame_with_picture: {title} ({filename})")])
        self.files.append(filename)
        return f"F{len(self.files):06d}"

    async def user_timezone(self, user_id: str) -> str | None:
        return RECIPIENT_TIMEZONE

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        return f"{WORKSPACE_URL}/archives/{channel_id}/p{ts.replace('.', '')}"

    async def workspace_admins(self) -> list[str]:
        """The demo's story has no admins to tell about goalpulse's own health."""
        return []

    async def publish_digest(self, digest: ChannelDigest) -> str:
        ts = self._ts(None)
        where = _("{channel} · digest, new message {ts}").format(
            channel=self._channel(digest.channel_id), ts=ts
        )
        self.show(where, digest_blocks(digest))
        return ts

    def attach_chart(self, digest: ChannelDigest, ts: str) -> None:
        """The demo draws its charts into files itself (see bot/demo.py)."""

    # -- helpers -----------------------------------------------------------------------------

    def _print(self, where: str, message: Outgoing) -> None:
        if not self.shown(message):
            notice = isinstance(message, SourceNotice)
            (self.hidden_notices if notice else self.hidden)[metric_of(message)] += 1
            return
        self.show(where, render(message)[1])

    def _ts(self, message: Outgoing | None) -> str:
        """Slack-shaped and increasing: the clock's seconds, then a sequence number (from
        900000 for the messages not shown)."""
        shown = message is None or self.shown(message)
        self._numbers[shown] += 1
        number = self._numbers[shown] + (0 if shown else 900_000)
        return f"{int(self.clock().timestamp())}.{number:06d}"

    def _channel(self, channel_id: str) -> str:
        return f"#{self.channels.get(channel_id, channel_id)}"

    def _user(self, user_id: str) -> str:
        return f"@{self.users.get(user_id, user_id)}"

    @staticmethod
    def _dm_user(channel_id: str) -> str:
        return f"U{channel_id[1:]}"
