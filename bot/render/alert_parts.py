"""Pieces the escalation and remediation renderers share: mentions, times, band words,
shortened text and buttons. Pure."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
)

from bot.render.blocks import BAND_EMOJI
from bot.render.digest import (
    LABELS,
    USER_ID,
    goal_title,
    reading_parts,
    signed_percent,
)
from jobs.digest.model import GoalLine
from jobs.errors import escape_mrkdwn
from jobs.escalation.episode import EscalationPolicy
from jobs.messages import (
    Role,
)

MAX_BLOCKS = 50
MAX_OPTIONS = 10  # Slack's limit for a checkboxes element
OPTION_CHARS = 75  # an option's text
ITEM_CHARS = 200  # an item's title in its section
SUMMARY_CHARS = 2000
MAX_PINGS = EscalationPolicy().max_repeats  # repeats after the first ping, as the playbook says
ROLE_NAMES: dict[Role, str] = {"lead": "lead", "ceo": "CEO"}
TRIGGER_EMOJI = {"orange": BAND_EMOJI["orange"], "red": BAND_EMOJI["red"]}
TREND_EMOJI = ":chart_with_downwards_trend:"
BAND_ORDER = ("green", "yellow", "orange", "red")
DONE, NOT_DONE = ":white_check_mark:", ":white_large_square:"
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")
_SAFE_URL = re.compile(r"https://[^\s<>|]+")


def mention(user_id: str) -> str:
    """`<@U…>` for a user id; anything that is not an id is shown as inert text."""
    return f"<@{user_id}>" if USER_ID.fullmatch(user_id) else escape_mrkdwn(user_id)


def local_time(moment: datetime, timezone: str) -> str:
    """`Fri 28 Nov, 09:30 CET`: a moment in a channel's timezone (UTC if it is unknown)."""
    local = aware(moment).astimezone(zone(timezone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"


def time_left(due_at: datetime, now: datetime) -> str:
    """`41h left`, `25m left` or `past due`."""
    seconds = (aware(due_at) - aware(now)).total_seconds()
    if seconds <= 0:
        return "past due"
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h left"
    return f"{max(1, int(seconds // 60))}m left"


def viewer_time(moment: datetime) -> str:
    """A time Slack shows in the reader's own timezone, with a UTC fallback."""
    moment = aware(moment)
    fallback = local_time(moment, "UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def numbers_line(line: GoalLine) -> str:
    """`120k vs 150k · −20.0%`, or why there is no value, as in the digest."""
    return " · ".join(reading_parts(line))


def deviation_note(line: GoalLine) -> str:
    return f" ({signed_percent(line.deviation)})" if finite(line.deviation) else ""


def finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def band_label(band: str) -> str:
    return LABELS.get(band, escape_mrkdwn(band))


def band_emoji(band: str) -> str:
    return BAND_EMOJI.get(band, ":white_circle:")


def band_rank(band: str) -> int:
    return BAND_ORDER.index(band) if band in BAND_ORDER else -1


def safe_link(url: str | None, label: str) -> str | None:
    return f"<{url}|{label}>" if url and _SAFE_URL.fullmatch(url) else None


def shorten(text: str, limit: int) -> str:
    """Escaped text of at most `limit` UTF-16 units (how Slack counts), cut before escaping."""
    text = " ".join(text.split())
    cut = len(text)
    while _units(escape_mrkdwn(text[:cut])) + (cut < len(text)) > limit:
        cut -= 1
    return escape_mrkdwn(text[:cut]) + ("…" if cut < len(text) else "")


def _units(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def fallback_text(text: str, line: GoalLine) -> str:
    """Notification text: the same words without the bold around the title."""
    return text.replace(f"*{goal_title(line)}*", goal_title(line))


def button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    return ButtonElement(text=text, action_id=action_id, value=value, style=style, confirm=confirm)
