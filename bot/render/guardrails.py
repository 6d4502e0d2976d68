"""Guardrails in Slack: the replies to `/goal guard` and `/goal unguard`, and the message that
a guard metric got worse while its goal is on track. Pure.

Metric keys and titles come from metrics.yml, so they are cut and escaped before they enter
mrkdwn; mentions are built only from user ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render.alert_parts import listed
from bot.render.block_kit import context_block, section_block
from bot.render.figures import goal_title, metric_value, reader_value, whole_percent
from bot.render.lines import inert_line
from bot.render.text import mention
from jobs.evaluation.guardrails import Guard
from jobs.i18n import _
from jobs.messages import GuardrailBreached
from jobs.metrics.catalog import Metric

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
    title = goal_title(message.goal)
    said = _(
        "{key} is {worse} worse than when the guard was set ({before} → {after}) while {title} "
        "is on track."
    ).format(key=f"`{key}`", worse=worse, before=before, after=after, title=f"*{title}*")
    text = _("{who}: {said}").format(who=who, said=said) if who else said
    allowed = whole_percent(message.threshold).lstrip("+")
    blocks: list[Block] = [
        section_block(f"{SHIELD} {text}"),
        context_block(
            _(
                "{metric} may get at most {allowed} worse while this goal is pursued. You hear "
                "this once; again only if it recovers and then slips again."
            ).format(metric=inert_line(message.guard_title, 100), allowed=allowed)
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
    words = {"key": key, "metric": title, "goal": inert_line(goal, 100), "allowed": allowed}
    if guard.baseline is None:
        said = (
            _(
                "{key} guards, from now on, {metric} ({goal}): its owner and lead hear once, in "
                "the goal's thread, if it gets {allowed} worse than its first value goalpulse "
                "sees (it has none yet) while the goal is on track."
            )
            if replaced
            else _(
                "{key} now guards {metric} ({goal}): its owner and lead hear once, in the "
                "goal's thread, if it gets {allowed} worse than its first value goalpulse sees "
                "(it has none yet) while the goal is on track."
            )
        )
        return f"{SHIELD} {said.format(**words)}"
    shown = metric_value(metric, guard.baseline) if metric is not None else f"{guard.baseline:g}"
    said = (
        _(
            "{key} guards, from now on, {metric} ({goal}): its owner and lead hear once, in the "
            "goal's thread, if it gets {allowed} worse than {value}, its latest value, while "
            "the goal is on track."
        )
        if replaced
        else _(
            "{key} now guards {metric} ({goal}): its owner and lead hear once, in the goal's "
            "thread, if it gets {allowed} worse than {value}, its latest value, while the goal "
            "is on track."
        )
    )
    return f"{SHIELD} {said.format(value=shown, **words)}"


def guards_text(entries: Sequence[dict[str, Any]]) -> str | None:
    """`/goal show`'s guardrails: each metric and how much worse it may get; None without any."""
    if not entries:
        return None
    shown = []
    for entry in entries:
        key = f"`{inert_line(str(entry.get('metric_key', '?')), KEY_CHARS)}`"
        threshold = entry.get("threshold")
        if isinstance(threshold, int | float):
            shown.append(
                _("{key} (at most {allowed} worse)").format(key=key, allowed=f"{threshold:.0%}")
            )
        else:
            shown.append(key)
    heading = _("Guardrails:")
    return f"{SHIELD} *{heading}* {listed(shown)}"


def unguard_text(*, metric_key: str, guard_metric: str) -> str:
    """The reply to `/goal unguard`."""
    key = f"`{inert_line(guard_metric, KEY_CHARS)}`"
    said = _("{key} no longer guards {metric}.").format(
        key=key, metric=f"`{inert_line(metric_key, KEY_CHARS)}`"
    )
    return f"{SHIELD} {said}"


def _value(message: GuardrailBreached, value: float) -> str:
    return reader_value(
        message.guard_unit, value, scale=message.guard_scale, currency=message.guard_currency
    )
