"""The digest's customer-tier line as people read it: `bot.render.tiers`, placed by
`bot.render.digest` after the user-health dashboard."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.render.digest import digest_blocks
from bot.render.figures import signed_points
from bot.render.tiers import tier_text
from jobs.digest.model import AtRisk, ChannelDigest, GoalLine, HealthIndex, TierLine, TierShare
from tests.support.fake_slack import block_errors

DAY = date(2026, 11, 25)
SHARES = (
    TierShare("high_value", 0.081, change_points=-0.6000000000000005),
    TierShare("potential", 0.31),
    TierShare("new", 0.12),
    TierShare("churned", 0.489),
)
LINE = TierLine(shares=SHARES)
ALL = "High-value 8.1% (−0.6 pt) · Potential 31% · New 12% · Churned 48.9%"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(LINE, ALL, id="a-change-for-the-goals-tier"),
        pytest.param(
            TierLine(
                shares=(
                    TierShare("high_value", 0.08149, change_points=1.26),
                    TierShare("potential", 0.3125, change_points=-0.04),
                    TierShare("new", None),
                ),
                undeclared=("churned_share",),
            ),
            "High-value 8.1% (+1.3 pt) · Potential 31.2% (0.0 pt) · New no data",
            id="rounding-no-data-and-one-missing",
        ),
        pytest.param(
            replace(LINE, at_risk=(AtRisk("high_value", 312.0),)),
            f"{ALL} · 312 high-value customers at risk",
            id="high-value-at-risk",
        ),
        pytest.param(
            replace(LINE, at_risk=(AtRisk(None, 1204.0), AtRisk("high_value", 1.0))),
            f"{ALL} · 1.2k customers at risk · 1 high-value customer at risk",
            id="both-at-risk",
        ),
        pytest.param(
            TierLine(
                shares=(),
                undeclared=("high_value_share", "potential_share", "new_share", "churned_share"),
            ),
            "_No metric in metrics.yml computes the customer tiers' shares (`high_value_share`, "
            "`potential_share`, `new_share`, `churned_share`)._",
            id="none-declared",
        ),
        pytest.param(
            TierLine(
                shares=(),
                undeclared=("high_value_share", "potential_share", "new_share", "churned_share"),
                at_risk=(AtRisk(None, 40.0),),
            ),
            "40 customers at risk\n"
            "_No metric in metrics.yml computes the customer tiers' shares (`high_value_share`, "
            "`potential_share`, `new_share`, `churned_share`)._",
            id="none-declared-with-at-risk",
        ),
    ],
)
def test_tier_text(line: TierLine, expected: str) -> None:
    """Shares as the dashboard shows percents, changes in points with one decimal and a real
    minus sign, then the at-risk counts; the measures to declare when no share is computed."""
    assert tier_text(line) == expected


@pytest.mark.parametrize(
    ("points", "shown"),
    [
        pytest.param(-0.6000000000000005, "−0.6 pt", id="minus"),
        pytest.param(2.0, "+2.0 pt", id="plus"),
        pytest.param(-0.04, "0.0 pt", id="rounds-to-zero-unsigned"),
        pytest.param(0.0, "0.0 pt", id="zero"),
    ],
)
def test_signed_points(points: float, shown: str) -> None:
    assert signed_points(points) == shown


GOAL = GoalLine(
    goal_id=1, metric_key="hv_at_risk", title="High-value at risk", unit="count",
    scale="fraction", currency="$", direction="lower", band="green", value=312.0,
    value_day=DAY, target=400.0, deviation=-0.22, sparkline=(), consecutive_adverse=0,
    trend_alert=False, red_in_days=None, owner_id=None,
)  # fmt: skip
HEALTH = HealthIndex(value=None, components={})


@pytest.mark.parametrize(
    ("health", "texts"),
    [
        pytest.param(None, [ALL], id="tiers-alone"),
        pytest.param(HEALTH, ["*User health index* not computed", ALL], id="after-the-dashboard"),
    ],
)
def test_digest_places_the_tier_line_last(health: HealthIndex | None, texts: list[str]) -> None:
    """The tier line is its own section at the foot of the digest, after any dashboard."""
    digest = ChannelDigest("T0001", "C0001", DAY, "UTC", (GOAL,), health, tiers=LINE)
    blocks = [block.to_dict() for block in digest_blocks(digest)]
    assert block_errors(blocks) == []
    assert [block["text"]["text"] for block in blocks[-len(texts) :]] == texts
    without = digest_blocks(replace(digest, tiers=None))
    assert len(blocks) - len(without) == 1
