"""The four-quadrant playbook's pure rules: default treatments, overrides and tier names."""

from __future__ import annotations

import pytest

from jobs.customers.measures import TIERS
from jobs.escalation.treatments import (
    DEFAULT_TREATMENTS,
    changed_treatments,
    measure_tier,
    tier_named,
    treatment_for,
)
from jobs.goals.channel_settings import MAX_ITEM_CHARS

OWN = {"high_value": "Concierge onboarding"}


def test_every_tier_has_a_short_default_treatment_in_tier_order() -> None:
    """One default per tier, listed as TIERS lists them, each fitting a checkbox."""
    assert tuple(DEFAULT_TREATMENTS) == TIERS
    assert all(0 < len(title) <= MAX_ITEM_CHARS for title in DEFAULT_TREATMENTS.values())


@pytest.mark.parametrize(
    ("tier", "overrides", "expected"),
    [
        pytest.param("high_value", OWN, "Concierge onboarding", id="workspace-override"),
        pytest.param("churned", OWN, DEFAULT_TREATMENTS["churned"], id="default-beside-one"),
        pytest.param("new", {}, DEFAULT_TREATMENTS["new"], id="default"),
    ],
)
def test_treatment_for(tier: str, overrides: dict[str, str], expected: str) -> None:
    """The workspace's treatment for a tier, else the default."""
    assert treatment_for(tier, overrides) == expected


@pytest.mark.parametrize(
    ("measure", "tier"),
    [
        pytest.param("high_value_share", "high_value", id="tier-share"),
        pytest.param("customers_at_risk", "churned", id="at-risk-is-churned"),
        pytest.param("orders", None, id="daily-measure"),
        pytest.param("no_such_measure", None, id="unknown-measure"),
        pytest.param(None, None, id="no-measure"),
    ],
)
def test_measure_tier(measure: str | None, tier: str | None) -> None:
    """A built-in measure about a tier names it; anything else names none."""
    assert measure_tier(measure) == tier


@pytest.mark.parametrize(
    ("word", "tier"),
    [
        pytest.param("high_value", "high_value", id="as-in-tiers"),
        pytest.param("High-Value", "high_value", id="hyphen-any-case"),
        pytest.param("churned", "churned", id="churned"),
        pytest.param("vip", None, id="unknown"),
        pytest.param("high value", None, id="space-is-not-a-tier"),
    ],
)
def test_tier_named(word: str, tier: str | None) -> None:
    assert tier_named(word) == tier


@pytest.mark.parametrize(
    ("tier", "title", "expected"),
    [
        pytest.param("new", "Welcome call", {**OWN, "new": "Welcome call"}, id="set-another"),
        pytest.param("high_value", "VIP desk", {"high_value": "VIP desk"}, id="replace"),
        pytest.param("high_value", None, {}, id="reset"),
        pytest.param("churned", None, OWN, id="reset-a-default-changes-nothing"),
    ],
)
def test_changed_treatments(tier: str, title: str | None, expected: dict[str, str]) -> None:
    """Setting replaces one tier's treatment, reset drops it; the input is left as it was."""
    before = dict(OWN)
    assert changed_treatments(before, tier, title) == expected
    assert before == OWN
