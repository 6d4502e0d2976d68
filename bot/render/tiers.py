"""The digest's compact customer-tier line: each tier's share, the change in points for the
tiers the channel's goals are about, and how many customers are at risk."""

from __future__ import annotations

import math

from bot.render.figures import reader_count, reader_value, signed_points
from bot.render.text import escape_mrkdwn
from jobs.customers.measures import TIER_WORDS
from jobs.digest.model import AtRisk, TierLine, TierShare
from jobs.i18n import N_, _, ngettext

# A tier's name at the head of its share, in English: `_` it where it is shown.
TIER_NAMES = {
    "high_value": N_("High-value"),
    "potential": N_("Potential"),
    "new": N_("New"),
    "churned": N_("Churned"),
}


def tier_text(line: TierLine) -> str:
    """`High-value 8.1% (−0.6 pt) · Potential 31% · New 12% · Churned 49% · 312 high-value
    customers at risk`, and what to declare when no tier's share is computed."""
    parts = [_share(share) for share in line.shares]
    parts += [_at_risk(risk) for risk in line.at_risk]
    lines = [" · ".join(parts)] if parts else []
    if not line.shares and line.undeclared:
        names = ", ".join(f"`{escape_mrkdwn(name)}`" for name in line.undeclared)
        lines.append(
            _("_No metric in metrics.yml computes the customer tiers' shares ({names})._").format(
                names=names
            )
        )
    return "\n".join(lines)


def _tier_name(tier: str) -> str:
    """`High-value`: a known tier's name in the reader's language; an unknown one as stored."""
    if tier in TIER_NAMES:
        return _(TIER_NAMES[tier])
    return TIER_WORDS.get(tier, tier).capitalize()


def _share(share: TierShare) -> str:
    """`High-value 8.1% (−0.6 pt)`, or `Potential 31%` without a change to show."""
    words = _tier_name(share.tier)
    if share.value is None or not math.isfinite(share.value):
        return _("{tier} no data").format(tier=words)
    text = _("{tier} {share}").format(tier=words, share=reader_value("percent", share.value))
    if share.change_points is not None and math.isfinite(share.change_points):
        text += _(" ({change})").format(change=signed_points(share.change_points))
    return text


def _at_risk(risk: AtRisk) -> str:
    """`312 high-value customers at risk`, `1 customer at risk`."""
    count = reader_count(risk.count)
    n = 1 if risk.count == 1 else 2  # the English noun: singular for exactly one
    if risk.tier is None:
        text = ngettext("{count} customer at risk", "{count} customers at risk", n)
    elif risk.tier == "high_value":
        text = ngettext(
            "{count} high-value customer at risk", "{count} high-value customers at risk", n
        )
    elif risk.tier == "potential":
        text = ngettext(
            "{count} potential customer at risk", "{count} potential customers at risk", n
        )
    elif risk.tier == "new":
        text = ngettext("{count} new customer at risk", "{count} new customers at risk", n)
    elif risk.tier == "churned":
        text = ngettext("{count} churned customer at risk", "{count} churned customers at risk", n)
    else:
        noun = "customer" if risk.count == 1 else "customers"
        return f"{count} {risk.tier} {noun} at risk"
    return text.format(count=count)
