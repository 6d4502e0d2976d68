"""Pieces the escalation and remediation renderers share: limits, band words, a goal's numbers,
safe links and buttons. Pure."""

from __future__ import annotations

import math
import re
from typing import TypeGuard

from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
)

from bot.render.digest import EMOJI, LABELS, reading_parts
from bot.render.figures import goal_title, signed_percent
from bot.render.text import escape_mrkdwn
from jobs.digest.model import GoalLine
from jobs.escalation.episode import EscalationPolicy
from jobs.messages import (
    Role,
)

MAX_OPTIONS = 10  # Slack's limit for a checkboxes element
OPTION_CHARS = 75  # an option's text
ITEM_CHARS = 200  # an item's title in its section
SUMMARY_CHARS = 2000
MAX_PINGS = EscalationPolicy().max_repeats  # repeats after the first ping, as the playbook says
ROLE_NAMES: dict[Role, str] = {"lead": "lead", "ceo": "CEO"}
TRIGGER_EMOJI = {"orange": EMOJI["orange"], "red": EMOJI["red"]}
TREND_EMOJI = ":chart_with_downwards_trend:"
BAND_ORDER = ("green", "yellow", "orange", "red")
DONE, NOT_DONE = ":white_check_mark:", ":white_large_square:"
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")
_SAFE_URL = re.compile(r"https://[^\s<>|]+")


def numbers_line(line: GoalLine) -> str:
    """`120k vs 150k · −20.0%`, or why there is no value, as in the digest."""
    return " · ".join(reading_parts(line))


def deviation_note(line: GoalLine) -> str:
    return f" ({signed_percent(line.deviation)})" if finite(line.deviation) else ""


def finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def band_label(band: str) -> str:
    return LABELS.get(band, escape_mrkdwn(band))


def band_rank(band: str) -> int:
    return BAND_ORDER.index(band) if band in BAND_ORDER else -1


def safe_link(url: str | None, label: str) -> str | None:
    return f"<{url}|{label}>" if url and _SAFE_URL.fullmatch(url) else None


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
