"""Guardrails in Slack: the replies to `/goal guard` and `/goal unguard`, and the message that
a guard metric got worse while its goal is on track. Pure.

Metric keys and titles come from metrics.yml, so they are cut and escaped before they enter
mrkdwn; mentions are built only from user ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render.block_kit import context_block, section_block
from bot.render.figures import goal_title, whole_percent
from bot.render.lines import inert_line
from bot.render.text import mention
from jobs.evaluation.guardrails import Guard
from jobs.messages import GuardrailBreached
from jobs.metrics.catalog import Metric
from jobs.metrics.quantities import format_metric_value, format_value

SHIELD = ":shield:"
KEY_CHARS = 64


def guardrail_breached(message: GuardrailBreached) -> tuple[str, list[Block]]:
    """`<@owner> <@lead>: `complaint_rate` is 35% worse than when the guard was set (2.0% → 2.7%)
    while *GMV* is on track.`"""
    people = [user for user in dict.fromkeys((message.owner_id, message.lead_id)) if user]
    who = " ".join(shown for user in people if (shown := mention(user, otherwise="")))
    key = inert_line(message.guard_metric, KEY_CHARS)
    before, after = _value(message, message.baseline), _value(message, message.value)
    worse = whole_percent(abs(message.change)).lstrip("+")
    said = (
        f"`{key}` is {worse} worse than when the guard was set ({before} → {after}) "
        f"while *{goal_title(message.goal)}* is on track."
    )
    text = f"{who}: {said}" if who else said
    allowed = whole_percent(message.threshold).lstrip("+")
    blocks: list[Block] = [
        section_block(f"{SHIELD} {text}"),
        context_block(
            f"{inert_line(message.guard_title, 100)} may get at most {allowed} worse while this "
            "goal is pursued. You hear this once; again only if it recovers and then slips again."
        ),
    ]
    plain = text.replace(f"*{goal_title(message.goal)}*", goal_title(message.goal))
    return plain, blocks


def guard_saved_text(
    *, goal: str, guard: Guard, metric: Metric | None, replaced: bool, metric_key: str
) -> str:
    """The reply to `/goal guard`: what is now watched, against which value."""
    key = f"`{inert_line(guard.metric_key, KEY_CHARS)}`"
    title = f"`{inert_line(metric_key, KEY_CHARS)}`"
    allowed = whole_percent(guard.threshold).lstrip("+")
    if guard.baseline is None:
        against = "its first value goalpulse sees (it has none yet)"
    else:
        shown = (
            format_metric_value(metric, guard.baseline)
            if metric is not None
            else f"{guard.baseline:g}"
        )
        against = f"{shown}, its latest value"
    verb = "now guards" if not replaced else "guards, from now on,"
    return (
        f"{SHIELD} {key} {verb} {title} ({inert_line(goal, 100)}): its owner and lead hear "
        f"once, in the goal's thread, if it gets {allowed} worse than {against} while the goal "
        "is on track."
    )


def guards_text(entries: Sequence[dict[str, Any]]) -> str | None:
    """`/goal show`'s guardrails: each metric and how much worse it may get; None without any."""
    if not entries:
        return None
    shown = []
    for entry in entries:
        key = f"`{inert_line(str(entry.get('metric_key', '?')), KEY_CHARS)}`"
        threshold = entry.get("threshold")
        limit = f" (at most {threshold:.0%} worse)" if isinstance(threshold, int | float) else ""
        shown.append(f"{key}{limit}")
    return f"{SHIELD} *Guardrails:* {', '.join(shown)}"


def unguard_text(*, metric_key: str, guard_metric: str) -> str:
    """The reply to `/goal unguard`."""
    key = f"`{inert_line(guard_metric, KEY_CHARS)}`"
    return f"{SHIELD} {key} no longer guards `{inert_line(metric_key, KEY_CHARS)}`."


def _value(message: GuardrailBreached, value: float) -> str:
    return format_value(
        message.guard_unit, value, scale=message.guard_scale, currency=message.guard_currency
    )
