"""The digest's compact customer-tier line: each tier's share, the change in points for the
tiers the channel's goals are about, and how many customers are at risk."""

from __future__ import annotations

import math

from bot.render.figures import signed_points
from bot.render.text import escape_mrkdwn
from jobs.customers.measures import TIER_WORDS
from jobs.digest.model import AtRisk, TierLine, TierShare
from jobs.metrics.quantities import format_value


def tier_text(line: TierLine) -> str:
    """`High-value 8.1% (−0.6 pt) · Potential 31% · New 12% · Churned 49% · 312 high-value
    customers at risk`, and what to declare when no tier's share is computed."""
    parts = [_share(share) for share in line.shares]
    parts += [_at_risk(risk) for risk in line.at_risk]
    lines = [" · ".join(parts)] if parts else []
    if not line.shares and line.undeclared:
        names = ", ".join(f"`{escape_mrkdwn(name)}`" for name in line.undeclared)
        lines.append(f"_No metric in metrics.yml computes the customer tiers' shares ({names})._")
    return "\n".join(lines)


def _share(share: TierShare) -> str:
    """`High-value 8.1% (−0.6 pt)`, or `Potential 31%` without a change to show."""
    words = TIER_WORDS.get(share.tier, share.tier).capitalize()
    if share.value is None or not math.isfinite(share.value):
        return f"{words} no data"
    text = f"{words} {format_value('percent', share.value)}"
    if share.change_points is not None and math.isfinite(share.change_points):
        text += f" ({signed_points(share.change_points)})"
    return text


def _at_risk(risk: AtRisk) -> str:
    """`312 high-value customers at risk`, `1 customer at risk`."""
    noun = "customer" if risk.count == 1 else "customers"
    who = f"{TIER_WORDS.get(risk.tier, risk.tier)} {noun}" if risk.tier else noun
    return f"{format_value('count', risk.count)} {who} at risk"
