"""The daily digest as Block Kit: `bot.render.digest`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.render.digest import digest_blocks, digest_text
from bot.render.figures import sparkline
from bot.render.terminal import blocks_to_text
from jobs.digest.model import ChannelDigest, EscalationStatus, GoalLine, HealthIndex
from tests.support.fake_slack import block_errors

DAY = date(2026, 11, 25)
BANDS = ("red", "orange", "yellow", "no_data", "invalid", "green")
BASE = GoalLine(
    goal_id=1,
    metric_key="dau",
    title="Daily active users",
    unit="count",
    scale="fraction",
    currency="$",
    direction="higher",
    band="green",
    value=150_000.0,
    value_day=DAY,
    target=150_000.0,
    deviation=0.0,
    sparkline=(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0),
    consecutive_adverse=0,
    trend_alert=False,
    red_in_days=None,
    owner_id="U0ANA",
)


def goal(key: str = "dau", **changes: Any) -> GoalLine:
    return replace(BASE, metric_key=key, **changes)


def digest(*lines: GoalLine, health: HealthIndex | None = None) -> ChannelDigest:
    return ChannelDigest("T0001", "C0001", DAY, "Europe/Berlin", lines, health)


def as_json(blocks: list[Block]) -> str:
    return json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)


def goal_texts(blocks: list[Block]) -> list[str]:
    """The mrkdwn of each section, in order (the goal lines, then any health index)."""
    return [b["text"]["text"] for b in (x.to_dict() for x in blocks) if b["type"] == "section"]


def many(count: int) -> ChannelDigest:
    """`count` goals cycling through every band, with long titles and owners."""
    lines = []
    for n in range(count):
        band = BANDS[n % len(BANDS)]
        lines.append(
            goal(
                f"metric_{n:03d}",
                goal_id=n,
                band=band,
                title=f"A long metric title for goal number {n} & friends",
                value=None if band in ("no_data", "invalid") else 100_000.0 + n,
                deviation=None if band in ("no_data", "invalid") else -(n % 40) / 100,
                target=0.0 if band == "invalid" else 150_000.0,
                source_error="warehouse timed out" if n % 7 == 0 else None,
                trend_alert=n % 5 == 0,
                consecutive_adverse=3,
                red_in_days=4.0 if n % 3 == 0 else None,
            )
        )
    return digest(*lines)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8], "▁▂▃▄▅▆▇█"),
        ([8, 1], "█▁"),
        ([1, None, 3], "▁·█"),
        ([None, 5, None], "·▄·"),
        ([5, 5, 5], "▄▄▄"),
        ([42], "▄"),
        ([-1, 0, 1], "▁▅█"),
        ([1, float("nan"), 2], "▁·█"),
        ([None] * 7, ""),
        ([], ""),
    ],
    ids=[
        "rising",
        "falling",
        "gap",
        "lone-point",
        "flat",
        "single",
        "negative",
        "nan-is-missing",
        "all-missing",
        "empty",
    ],
)
def test_sparkline(values: list[float | None], expected: str) -> None:
    """Values scale to eight bars; missing days show as `·`; flat series sit in the middle."""
    assert sparkline(values) == expected


@pytest.mark.parametrize(
    ("band", "source_error", "emoji"),
    [
        ("red", None, ":red_circle:"),
        ("orange", None, ":large_orange_circle:"),
        ("yellow", None, ":large_yellow_circle:"),
        ("green", None, ":large_green_circle:"),
        ("no_data", None, ":white_circle:"),
        ("invalid", None, ":warning:"),
        ("green", "HTTP 500", ":warning:"),
        ("mystery", None, ":warning:"),
    ],
    ids=["red", "orange", "yellow", "green", "no-data", "invalid", "failing-green", "unknown"],
)
def test_band_emoji(band: str, source_error: str | None, emoji: str) -> None:
    """Each band has its emoji; a green goal with a failing source shows a warning instead."""
    (text,) = goal_texts(digest_blocks(digest(goal(band=band, source_error=source_error))))
    assert text.startswith(f"{emoji} ")


def test_worst_first() -> None:
    """Red, orange, yellow, no data, invalid, failing, green; within a band, most adverse first."""
    lines = [
        goal("green_far", band="green", deviation=0.2),
        goal("green_near", band="green", deviation=-0.05),
        goal("failing", band="green", deviation=0.0, source_error="boom"),
        goal("invalid", band="invalid", target=0.0, value=None, deviation=None),
        goal("no_data", band="no_data", value=None, deviation=None),
        goal("yellow", band="yellow", deviation=-0.12),
        goal("orange_lower", band="orange", direction="lower", deviation=0.25),
        goal("red_mild", band="red", deviation=-0.31),
        goal("red_worst", band="red", deviation=-0.45),
        goal("red_either", band="red", direction="either", deviation=0.4),
    ]
    texts = goal_texts(digest_blocks(digest(*lines)))
    keys = [text.split("`")[1] for text in texts]
    assert keys == [
        "red_worst",
        "red_either",
        "red_mild",
        "orange_lower",
        "yellow",
        "no_data",
        "invalid",
        "failing",
        "green_near",
        "green_far",
    ]


@pytest.mark.parametrize(
    ("unit", "scale", "currency", "value", "target", "expected"),
    [
        ("count", "fraction", "$", 120_000, 150_000, "120k vs 150k"),
        ("count", "fraction", "$", 1_234_567, 1_500_000, "1.2M vs 1.5M"),
        ("percent", "fraction", "$", 0.241, 0.35, "24.1% vs 35%"),
        ("percent", "percent", "$", 24.1, 35, "24.1% vs 35%"),
        ("currency", "fraction", "¥", 520, 600, "¥520 vs ¥600"),
        ("currency", "fraction", "$", 1500, 2000, "$1.5k vs $2k"),
        ("ratio", "fraction", "$", 1.25, 1.5, "1.25 vs 1.5"),
    ],
    ids=["count", "count-millions", "percent", "percent-scale", "yen", "dollars-k", "ratio"],
)
def test_values_with_units(
    unit: str, scale: str, currency: str, value: float, target: float, expected: str
) -> None:
    """Value and target read with the metric's unit, scale and currency."""
    line = goal(unit=unit, scale=scale, currency=currency, value=value, target=target)
    (text,) = goal_texts(digest_blocks(digest(line)))
    assert f" · {expected} · " in text


@pytest.mark.parametrize(
    ("changes", "expected", "absent"),
    [
        ({"band": "orange", "deviation": -0.2}, "−20.0%", "routine review"),
        ({"band": "yellow", "deviation": 0.125, "direction": "lower"}, "+12.5%", "−"),
        ({"band": "yellow", "deviation": -0.11}, "routine review", "task force"),
        ({"trend_alert": True, "consecutive_adverse": 3}, "↘ 3 days down", "↗"),
        (
            {"trend_alert": True, "consecutive_adverse": 4, "direction": "lower"},
            "↗ 4 days up",
            "↘",
        ),
        ({"trend_alert": False, "consecutive_adverse": 2}, "owner <@U0ANA>", "days down"),
        ({"red_in_days": 4.6}, "at this pace, red in ~5 days", "~4"),
        ({"red_in_days": 0.3}, "at this pace, red in ~1 day", "1 days"),
        ({"band": "red", "deviation": -0.4, "red_in_days": 0.0}, "CEO in charge", "at this pace"),
        (
            {"band": "no_data", "value": None, "value_day": DAY - timedelta(days=3)},
            "no data since Sun 22 Nov · target 150k",
            "vs",
        ),
        ({"band": "no_data", "value": None, "value_day": None}, "no data yet", "green"),
        ({"source_error": "HTTP 500 from bi.example"}, "source failing: HTTP 500", "green"),
        (
            {"band": "invalid", "target": 0.0, "value": None, "deviation": None},
            "target is 0",
            ":large_green_circle:",
        ),
        ({"owner_id": None}, "Daily active users", "owner"),
    ],
    ids=[
        "negative-deviation",
        "positive-deviation",
        "yellow-routine-review",
        "trend-higher",
        "trend-lower",
        "no-trend",
        "forecast",
        "forecast-one-day",
        "no-forecast-when-red",
        "no-data-since",
        "no-data-yet",
        "source-error",
        "zero-target",
        "no-owner",
    ],
)
def test_goal_line_notes(changes: dict[str, Any], expected: str, absent: str) -> None:
    """Deviation, trend, forecast, response, no-data and source notes appear when they apply."""
    (text,) = goal_texts(digest_blocks(digest(goal(**changes))))
    assert expected in text
    assert absent not in text


DUE = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def escalated(
    band: str | None = "red",
    acknowledged_by: str | None = None,
    remediation_id: int | None = 7,
    done: int = 1,
    total: int = 3,
    left: timedelta | None = timedelta(hours=41, minutes=20),
) -> EscalationStatus:
    return EscalationStatus(
        episode_band=band,
        acknowledged_by=acknowledged_by,
        remediation_id=remediation_id,
        done=done,
        total=total,
        due_at=DUE if remediation_id is not None else None,
        time_left=left if remediation_id is not None else None,
    )


@pytest.mark.parametrize(
    ("status", "expected", "absent"),
    [
        (
            escalated(acknowledged_by="U0LI"),
            ":rotating_light: Escalated (red) · acknowledged by <@U0LI> · "
            "Remediation 1/3 done · 41h left",
            "not acknowledged",
        ),
        (
            escalated(band="orange"),
            ":rotating_light: Escalated (orange) · not acknowledged · Remediation 1/3 done",
            "acknowledged by",
        ),
        (escalated(remediation_id=None), "Escalated (red) · not acknowledged", "Remediation"),
        (
            escalated(band=None, done=0, total=4),
            ":clipboard: Remediation 0/4 done · 41h left",
            "Escalated",
        ),
        (escalated(left=timedelta(minutes=35)), "1/3 done · 35m left", "0h"),
        (escalated(left=timedelta(0)), "1/3 done · past due", "left"),
        (escalated(acknowledged_by="<!channel>"), "· acknowledged ·", "<!channel>"),
    ],
    ids=[
        "acknowledged-red",
        "unacknowledged-orange",
        "episode-only",
        "remediation-only",
        "minutes-left",
        "time-is-up",
        "odd-acknowledger",
    ],
)
def test_escalation_line(status: EscalationStatus, expected: str, absent: str) -> None:
    """An open episode/remediation adds a line with band, ack state, progress and time left."""
    (text,) = goal_texts(digest_blocks(digest(goal(band="red", escalation=status))))
    last = text.splitlines()[-1]
    assert expected in last
    assert absent not in last


def test_no_escalation_line_without_one() -> None:
    """A goal with nothing open gets no escalation line."""
    (text,) = goal_texts(digest_blocks(digest(goal(band="red", deviation=-0.4))))
    for word in ("Escalated", "Remediation", ":rotating_light:", ":clipboard:", "left"):
        assert word not in text


def test_escalated_goal_stays_visible_in_a_condensed_digest() -> None:
    """In a digest too long for full lines, a green goal with an open remediation keeps a line."""
    lines = [goal(f"metric_{n:03d}", goal_id=n) for n in range(120)]
    lines[60] = replace(lines[60], escalation=escalated(band=None))
    sent = as_json(digest_blocks(digest(*lines)))
    urgent, on_track = sent.split("more on track")
    assert "`metric_060`" in urgent
    assert "`metric_060`" not in on_track
    assert ":clipboard: Remediation 1/3 done · 41h left" in urgent


def test_condensed_lines_keep_a_short_escalation_tag() -> None:
    """Shortened lines of escalated goals keep a short tag, within Slack's limits."""
    lines = [
        goal(
            f"red_{n:03d}",
            goal_id=n,
            band="red",
            title=f"Title {n:03d} " + "x" * 90,
            deviation=-0.3 - n / 1000,
            escalation=escalated(acknowledged_by="U0LI"),
        )
        for n in range(1000)
    ]
    blocks = digest_blocks(digest(*lines))
    sent = as_json(blocks)
    assert block_errors([block.to_dict() for block in blocks]) == []
    assert "acknowledged by <@U0LI> · Remediation 1/3 done · 41h left" in sent  # the worst
    assert "`red_000` 150k vs 150k · −30.0% · <@U0ANA> · :rotating_light: 1/3 · 41h left" in sent


def test_user_text_is_escaped() -> None:
    """Titles and source errors never reach Slack as live mrkdwn: `<!channel>` stays inert."""
    lines = [
        goal(
            "dau", title="<!channel> & <@U0BOSS>", source_error="bad <!here> <https://x.example|y>"
        ),
        goal("aov", title="AOV <#C0GENERAL>"),
    ]
    health = HealthIndex(value=1.0, components={"dau": 0.5, "aov": 2.0}, sparkline=(1.0, 1.0))
    sent = as_json(digest_blocks(digest(*lines, health=health)))
    for raw in ("<!channel>", "<!here>", "<@U0BOSS>", "<https://", "<#C0GENERAL>"):
        assert raw not in sent
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in sent
    assert "source failing: bad &lt;!here&gt;" in sent


@pytest.mark.parametrize("count", [80, 500], ids=["80-goals", "500-goals"])
def test_many_goals_fit_and_keep_urgent_ones(count: int) -> None:
    """Long digests stay within Block Kit limits, list every red/orange goal, summarise the rest."""
    report = many(count)
    blocks = digest_blocks(report)
    sent = as_json(blocks)
    assert block_errors([block.to_dict() for block in blocks]) == []
    for line in report.lines:
        if line.band in ("red", "orange", "yellow", "no_data") or line.source_error:
            assert f"`{line.metric_key}`" in sent, line.metric_key
    greens = [x for x in report.lines if x.band == "green" and not x.source_error]
    on_track = len([x for x in greens if not x.trend_alert])
    assert f"…and {on_track} more on track" in sent


def test_many_goals_all_on_track() -> None:
    """When every one of many goals is on track, the digest says so and names them."""
    lines = [goal(f"metric_{n:03d}", goal_id=n) for n in range(120)]
    blocks = digest_blocks(digest(*lines))
    sent = as_json(blocks)
    assert block_errors([block.to_dict() for block in blocks]) == []
    assert ":large_green_circle: All 120 goals on track: `metric_000`, `metric_001`" in sent
    assert "more on track" not in sent


def test_worst_keep_full_lines_when_all_cannot() -> None:
    """With too many long red lines, the worst stay in full and the rest get one short line."""
    lines = [
        goal(
            f"red_{n:03d}",
            goal_id=n,
            band="red",
            title=f"Title {n:03d} " + "x" * 90,
            deviation=-0.3 - n / 1000,
            source_error="e" * 300,
        )
        for n in range(400)
    ]
    blocks = digest_blocks(digest(*lines))
    sent = as_json(blocks)
    assert block_errors([block.to_dict() for block in blocks]) == []
    assert all(f"`red_{n:03d}`" in sent for n in range(400))
    assert "Title 399 " in sent  # the most adverse, in full
    assert "Title 000 " not in sent  # the least adverse, one short line
    assert "`red_000` 150k vs 150k · −30.0% · source failing · <@U0ANA>" in sent


def test_too_many_urgent_goals_says_how_many_are_left_out() -> None:
    """When even one short line per red goal cannot fit, the worst show and the rest are counted."""
    key = "k" * 60
    lines = [
        goal(f"{key}{n:04d}", goal_id=n, band="red", deviation=-0.3 - n / 10_000)
        for n in range(3000)
    ]
    blocks = digest_blocks(digest(*lines))
    sent = as_json(blocks)
    assert block_errors([block.to_dict() for block in blocks]) == []
    assert f"`{key}2999`" in sent  # the most adverse
    shown = sent.count(f"`{key}")
    assert f"…and {3000 - shown} more goals that need attention" in sent


def test_header_and_summary() -> None:
    """The header names the day; the summary counts goals per band, worst first."""
    lines = [
        goal(f"g{n}", band=band) for n, band in enumerate(["green", "red", "green", "no_data"])
    ]
    data = [block.to_dict() for block in digest_blocks(digest(*lines))]
    assert data[0]["text"]["text"] == "Goal health · Wed 25 Nov"
    assert data[1]["elements"][0]["text"] == (
        ":red_circle: 1 red · :white_circle: 1 no data · :large_green_circle: 2 green"
    )


def test_empty_digest() -> None:
    """A channel with no goals gets a header and a plain note, not an error."""
    blocks = digest_blocks(digest())
    assert "No goals in this channel yet." in as_json(blocks)
    assert digest_text(digest()) == "Goal health for 2026-11-25: no goals"


def test_digest_text() -> None:
    """The notification fallback counts goals per band."""
    bands = ["green", "orange", "red", "green", "orange", "green"]
    lines = [goal(f"g{n}", band=band) for n, band in enumerate(bands)]
    assert digest_text(digest(*lines)) == "Goal health for 2026-11-25: 1 red, 2 orange, 3 green"


def test_health_index_section() -> None:
    """The health index shows its value, each component with its unit, and a sparkline."""
    lines = [
        goal("active_rate_30d", title="30-day active rate", unit="percent", value=0.4271),
        goal("retention_7d", title="7-day retention", unit="percent", value=0.2108),
        goal("aov", title="Average order value", unit="currency", currency="¥", value=178.46),
    ]
    health = HealthIndex(
        value=16.05,
        components={"active_rate_30d": 0.4271, "retention_7d": 0.2108, "aov": None},
        sparkline=(15.0, 16.0, None, 17.0),
    )
    texts = goal_texts(digest_blocks(digest(*lines, health=health)))
    assert texts[-1] == (
        "*User health index* 16.05 · ▁▅·█\n"
        "30-day active rate 42.7% × 7-day retention 21.1% × Average order value no data"
    )


def test_reads_well_as_text() -> None:
    """Rendered for a terminal, the digest reads as a short report."""
    lines = [
        goal("gmv", title="Gross merchandise value", unit="currency", currency="¥", value=2.39e6,
             target=2.3e6, deviation=0.039),
        goal("dau", band="orange", value=120_000.0, deviation=-0.2, trend_alert=True,
             consecutive_adverse=3, red_in_days=5.2, sparkline=(7.0, 6, 5, 4, 3, 2, 1)),
        goal("nps", title="Net promoter score", band="no_data", value=None, target=50.0,
             value_day=DAY - timedelta(days=2), deviation=None, sparkline=(5.0, 6.0) + (None,) * 5,
             source_error="manual check-ins stopped", owner_id="U0LI"),
    ]  # fmt: skip
    text = blocks_to_text(digest_blocks(digest(*lines)), users={"U0ANA": "ana", "U0LI": "li"})
    assert text == (
        "Goal health · Wed 25 Nov\n"
        "────────────────────────\n"
        "🟠 1 orange · ⚪ 1 no data · 🟢 1 green\n"
        "\n"
        "🟠 Daily active users `dau` · 120k vs 150k · −20.0% · █▇▆▅▃▂▁\n"
        "↘ 3 days down · at this pace, red in ~5 days · task force · owner @ana\n"
        "\n"
        "⚪ Net promoter score `nps` · no data since Mon 23 Nov · target 50 · ▁█·····\n"
        "source failing: manual check-ins stopped · owner @li\n"
        "\n"
        "🟢 Gross merchandise value `gmv` · ¥2.4M vs ¥2.3M · +3.9% · ▁▂▃▅▆▇█\n"
        "owner @ana"
    )
