"""The four-quadrant playbook: each customer tier's treatment, the checklist item that heads a
remediation of a goal on a metric about that tier. Pure.

A workspace may replace any tier's treatment (stored in `workspace_settings.tier_treatments`,
tier → title); a tier it has not replaced gets its default here.
"""

from __future__ import annotations

from collections.abc import Mapping

from jobs.customers.measures import MEASURES, TIERS
from jobs.i18n import N_

# In the order of TIERS; each one line and short enough for a checkbox (75 characters). Stored
# in English as checklist titles; translated where they are shown (`_(title)`).
DEFAULT_TREATMENTS: dict[str, str] = {
    "high_value": N_("Protect and upgrade the high-value customers' experience"),
    "potential": N_("Upgrade plan for potential customers"),
    "new": N_("Experience marketing for new customers"),
    "churned": N_("Wake-up plan for churned customers"),
}


def treatment_for(tier: str, overrides: Mapping[str, str]) -> str:
    """The workspace's treatment for `tier`, else the default one."""
    return overrides.get(tier) or DEFAULT_TREATMENTS[tier]


def measure_tier(measure: str | None) -> str | None:
    """The tier a built-in measure is about; None for any other measure, or none."""
    found = MEASURES.get(measure) if measure is not None else None
    return found.tier if found is not None else None


def tier_named(word: str) -> str | None:
    """The tier a typed word names (`high-value` and `High_Value` both name `high_value`)."""
    tier = word.strip().lower().replace("-", "_")
    return tier if tier in TIERS else None


def changed_treatments(
    overrides: Mapping[str, str], tier: str, title: str | None
) -> dict[str, str]:
    """The workspace's treatments after setting `tier`'s to `title` (None: back to the default)."""
    changed = {key: value for key, value in overrides.items() if key != tier}
    if title is not None:
        changed[tier] = title
    return changed
