"""The user-health dashboard and benchmark gaps as people read them: `bot.render.dashboard`
(under the digest), `bot.render.goal_detail` (`/goal show`) and the chart's benchmark line
(`jobs.digest.chart`)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.render.digest import digest_blocks, full_line
from bot.render.figures import whole_percent
from bot.render.goal_detail import goal_detail_blocks
from jobs.digest.chart import BENCHMARK_COLOUR, chart_figure
from jobs.digest.model import BenchmarkGap, ChannelDigest, GoalLine, HealthIndex, Reading
from jobs.metrics.catalog import parse_catalog
from storage.models import Evaluation, Goal
from tests.support.fake_slack import block_errors

DAY = date(2026, 11, 25)
LINE = GoalLine(
    goal_id=1,
    metric_key="active_rate",
    title="Active rate",
    unit="percent",
    scale="fraction",
    currency="$",
    direction="higher",
    band="orange",
    value=0.29,
    value_day=DAY,
    target=0.30,
    deviation=0.29 / 0.30 - 1,
    sparkline=(),
    consecutive_adverse=0,
    trend_alert=False,
    red_in_days=None,
    owner_id=None,
    benchmark=BenchmarkGap(benchmark=0.35, gap=0.29 / 0.35 - 1, breached=True),
)


def reading(key: str, title: str, unit: str, value: float | None, **more: Any) -> Reading:
    return Reading(key, title, unit, "fraction", "¥", value, **more)


INDEX = reading("health", "User health index", "currency", 10.87, change_wow=-0.032)
FACTORS = (
    reading("active_rate", "30-day active rate", "percent", 0.29, change_wow=-0.015),
    reading("retention", "7-day retention", "percent", 0.211, change_wow=0.004),
    reading("aov_month", "30-day AOV", "currency", 178.46, change_wow=0.02),
)
ACTIVE_GAP = BenchmarkGap(benchmark=0.35, gap=0.29 / 0.35 - 1, breached=True)
GMV_GAP = BenchmarkGap(benchmark=2e6, gap=0.05, breached=False)
FULL = HealthIndex(
    value=10.87,
    components={},
    sparkline=(9.0, 10.0, None, 11.0),
    index=INDEX,
    factors=FACTORS,
    aov_volatility=0.18,
    benchmarks=(
        replace(FACTORS[0], title="Active rate", benchmark=ACTIVE_GAP),
        reading("gmv", "GMV", "currency", 2.1e6, benchmark=GMV_GAP),
    ),
)


def dashboard(health: HealthIndex) -> str:
    """The dashboard's section of a digest with one goal."""
    blocks = digest_blocks(ChannelDigest("T0001", "C0001", DAY, "UTC", (LINE,), health))
    return str(blocks[-1].to_dict()["text"]["text"])


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        pytest.param(
            FULL,
            "*User health index* ¥10.87 · ▁▅·█ · −3.2% w/w\n"
            "30-day active rate 29% (−1.5% w/w) × 7-day retention 21.1% (+0.4% w/w) × "
            "30-day AOV ¥178.46 (+2.0% w/w)\n"
            "AOV swings ±18% day to day\n"
            ":warning: Active rate 29% · below benchmark 35% (−17%)\n"
            "GMV ¥2.1M · benchmark ¥2M (+5%)",
            id="everything",
        ),
        pytest.param(
            replace(
                FULL,
                value=None,
                index=None,
                sparkline=(),
                factors=FACTORS[::2],
                undeclared=("retention_7d",),
                aov_volatility=None,
                benchmarks=(),
            ),
            "*User health index* not computed\n"
            "30-day active rate 29% (−1.5% w/w) × 30-day AOV ¥178.46 (+2.0% w/w)\n"
            "_No metric in metrics.yml computes the 7-day retention (`retention_7d`)._",
            id="a-factor-not-declared",
        ),
        pytest.param(
            replace(
                FULL,
                index=replace(INDEX, value=None, change_wow=None),
                sparkline=(),
                factors=(replace(FACTORS[0], value=None, change_wow=None), *FACTORS[1:]),
                aov_volatility=0.004,
                benchmarks=(
                    replace(
                        FACTORS[0],
                        value=None,
                        benchmark=replace(ACTIVE_GAP, gap=None, breached=False),
                    ),
                ),
            ),
            "*User health index* no data\n"
            "30-day active rate no data × 7-day retention 21.1% (+0.4% w/w) × "
            "30-day AOV ¥178.46 (+2.0% w/w)\n"
            "AOV swings ±0.4% day to day\n"
            "30-day active rate no data · benchmark 35%",
            id="no-values",
        ),
    ],
)
def test_dashboard_lines(health: HealthIndex, expected: str) -> None:
    """The index with its trend, its factors with their week-over-week change, AOV volatility in
    words, each benchmark gap (breaches flagged) and what metrics.yml lacks."""
    assert dashboard(health) == expected


def test_dashboard_escapes_titles_and_fits() -> None:
    """Metric titles are inert text, and a long list of benchmarks is cut and counted."""
    many = tuple(
        reading(f"m{n}", "<!channel> *big*", "count", 5.0, benchmark=GMV_GAP) for n in range(25)
    )
    health = replace(FULL, benchmarks=many)
    text = dashboard(health)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert text.endswith("…and 15 more benchmarks")
    blocks = digest_blocks(ChannelDigest("T0001", "C0001", DAY, "UTC", (LINE,), health))
    assert block_errors([block.to_dict() for block in blocks]) == []


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        pytest.param(ACTIVE_GAP, ":warning: below benchmark 35% (−17%)", id="breached-below"),
        pytest.param(
            BenchmarkGap(benchmark=0.16, gap=0.3125, breached=True),
            ":warning: above benchmark 16% (+31%)",
            id="breached-above",
        ),
        pytest.param(
            BenchmarkGap(benchmark=0.35, gap=-0.03, breached=False),
            "benchmark 35% (−3%)",
            id="within-the-warning",
        ),
        pytest.param(None, None, id="no-benchmark"),
    ],
)
def test_goal_line_benchmark(gap: BenchmarkGap | None, expected: str | None) -> None:
    """A goal on a metric with a benchmark shows the gap beside its deviation; a breach, which
    raised its band, is flagged."""
    text = full_line(replace(LINE, benchmark=gap))
    first = text.split("\n")[0]
    if expected is None:
        assert "benchmark" not in text
    else:
        assert first.endswith(f"29% vs 30% · −3.3% · {expected}")


@pytest.mark.parametrize(
    ("fraction", "shown"),
    [
        pytest.param(-0.1714, "−17%", id="whole-percent"),
        pytest.param(0.05, "+5%", id="plus"),
        pytest.param(-0.004, "−0.4%", id="under-one-percent"),
        pytest.param(0.0, "0%", id="zero"),
    ],
)
def test_whole_percent(fraction: float, shown: str) -> None:
    assert whole_percent(fraction) == shown


CATALOG = parse_catalog(
    {
        "metrics": {
            "active_rate": {
                "title": "Active rate",
                "unit": "percent",
                "source": {"kind": "manual"},
                "benchmark": {"value": "35%", "warn_below": "15%"},
            },
            "dau": {"source": {"kind": "manual"}},
        }
    },
    path=Path("metrics.yml"),
)
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def evaluation(value: float, band: str) -> Evaluation:
    return Evaluation(
        goal_id=1, team_id="T0001", day=DAY, value=value, value_day=DAY, target=0.3,
        deviation=value / 0.3 - 1, band=band, evaluated_at=NOW,
    )  # fmt: skip


def show(key: str, value: float, band: str) -> str:
    goal = Goal(
        id=1, team_id="T0001", channel_id="C0001", metric_key=key, target=0.3,
        direction="higher", unit="percent", created_by="U0ANA", created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    blocks: list[Block] = goal_detail_blocks(goal, CATALOG.get(key), [evaluation(value, band)])
    assert block_errors([block.to_dict() for block in blocks]) == []
    return json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)


@pytest.mark.parametrize(
    ("key", "value", "band", "expected"),
    [
        pytest.param(
            "active_rate",
            0.29,
            "orange",
            "*Benchmark*\\n35% · now −17%\\n:warning: more than 15% under: at least orange",
            id="breached",
        ),
        pytest.param(
            "active_rate",
            0.31,
            "green",
            "*Benchmark*\\n35% · now −11%\\nmore than 15% under makes the goal orange",
            id="within",
        ),
        pytest.param("dau", 0.29, "green", None, id="no-benchmark"),
    ],
)
def test_show_benchmark(key: str, value: float, band: str, expected: str | None) -> None:
    """`/goal show` states the benchmark, the gap now, and what a breach does to the band."""
    sent = show(key, value, band)
    if expected is None:
        assert "Benchmark" not in sent
    else:
        assert expected in sent


def test_chart_draws_the_benchmark() -> None:
    """The goal's chart has a dotted benchmark line, in view even far from the values."""
    history = {"active_rate": tuple((DAY - timedelta(days=n), 0.29) for n in range(30))}
    line = replace(LINE, benchmark=replace(ACTIVE_GAP, benchmark=0.5))
    figure = chart_figure(ChannelDigest("T0001", "C0001", DAY, "UTC", (line,), history=history))
    assert figure is not None
    ax = figure.axes[0]
    [drawn] = [x for x in ax.get_lines() if x.get_label() == "benchmark"]
    assert list(drawn.get_ydata()) == [0.5, 0.5]
    assert drawn.get_color() == BENCHMARK_COLOUR
    assert drawn.get_linestyle() == ":"
    low, high = ax.get_ylim()
    assert low < 0.29 < 0.5 < high
    without = chart_figure(
        ChannelDigest(
            "T0001", "C0001", DAY, "UTC", (replace(line, benchmark=None),), history=history
        )
    )
    assert without is not None
    assert [x for x in without.axes[0].get_lines() if x.get_label() == "benchmark"] == []


@pytest.mark.parametrize(
    ("volatility", "expected"),
    [
        pytest.param(0.18, "*Volatility (30 days)*\\nswings ±18% day to day", id="swings"),
        pytest.param(0.004, "*Volatility (30 days)*\\nswings ±0.4% day to day", id="steady"),
        pytest.param(None, None, id="too-few-days"),
    ],
)
def test_show_says_how_much_the_metric_swings(
    volatility: float | None, expected: str | None
) -> None:
    """The coefficient of variation every evaluation computes is shown in words."""
    goal = Goal(
        id=1, team_id="T0001", channel_id="C0001", metric_key="dau", target=0.3,
        direction="higher", unit="count", created_by="U0ANA", created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    latest = evaluation(0.31, "green")
    latest.volatility = volatility
    blocks: list[Block] = goal_detail_blocks(goal, CATALOG.get("dau"), [latest])
    shown = json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)
    if expected is None:
        assert "Volatility" not in shown
    else:
        assert expected in shown
