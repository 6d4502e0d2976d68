"""Pieces the escalation and remediation renderers share: limits, band words, a goal's numbers,
safe links and buttons. Pure."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import TypeGuard

from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
)

from bot.render.digest import EMOJI, LABELS, reading_parts
from bot.render.figures import goal_title, signed_percent
from bot.render.text import escape_mrkdwn
from bot.render.times import local_time
from jobs.digest.model import GoalLine
from jobs.escalation.episode import EscalationPolicy
from jobs.i18n import EN, N_, _, current_locale
from jobs.messages import (
    Role,
)

MAX_OPTIONS = 10  # Slack's limit for a checkboxes element
OPTION_CHARS = 75  # an option's text
ITEM_CHARS = 200  # an item's title in its section
SUMMARY_CHARS = 2000
MAX_PINGS = EscalationPolicy().max_repeats  # repeats after the first ping, as the playbook says
# Translated where shown: `_(ROLE_NAMES[role])`.
ROLE_NAMES: dict[Role, str] = {"lead": N_("lead"), "ceo": N_("CEO")}
# A remediation's status or outcome in words; translated where shown: `_(STATUS_WORDS[s])`.
STATUS_WORDS: dict[str, str] = {
    "open": N_("open"),
    "resolved": N_("resolved"),
    "resolved_early": N_("resolved early"),
    "overdue": N_("overdue"),
}
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
    return aside(signed_percent(line.deviation)) if finite(line.deviation) else ""


def aside(note: str) -> str:
    """` (note)` after a word; `（note）` in Chinese."""
    return _(" ({note})").format(note=note)


def finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def band_label(band: str) -> str:
    """The band's word in the locale in force (`red`, `红色`)."""
    return _(LABELS[band]) if band in LABELS else escape_mrkdwn(band)


def status_word(status: str) -> str:
    """A remediation's status or outcome in words (`resolved early`, `提前解决`)."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else escape_mrkdwn(status)


def role_name(role: Role) -> str:
    return _(ROLE_NAMES[role])


def full_stop(sentence: str) -> str:
    """The sentence ended as the locale ends one (`.`, `。`)."""
    return _("{sentence}.").format(sentence=sentence)


def labelled(label: str, text: str) -> str:
    """A field: its (translated) label in bold over its text."""
    return f"*{label}*\n{text}"


def done_count(done: int, total: int) -> str:
    """`2/3 done` (`已完成 2/3`)."""
    return _("{done}/{total} done").format(done=done, total=total)


def due_words(due_at: datetime, timezone: str) -> str:
    """`due Fri 28 Nov, 09:30 CET`, in the channel's timezone."""
    return _("due {time}").format(time=local_time(due_at, timezone))


def listed(items: list[str]) -> str:
    """`a, b` in English; `a、b` in Chinese."""
    return (", " if current_locale() == EN else "、").join(items)


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
