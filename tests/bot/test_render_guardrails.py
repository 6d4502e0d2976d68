"""Guardrails, the owner's check-in and the weekly check-in summary as Slack shows them:
bot/render/guardrails.py, bot/render/goal_notes.py (in the digest) and
bot/render/checkin_summary.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.render.block_kit import MAX_BLOCKS
from bot.render.digest import digest_blocks
from bot.render.escalation import render
from bot.render.guardrails import guard_saved_text
from jobs.digest.model import GuardStatus
from jobs.evaluation.guardrails import Guard
from jobs.messages import (
    CheckinEntry,
    GoalWeek,
    GuardrailBreached,
    MissedCheckin,
    WeeklyCheckinSummary,
)
from jobs.metrics.catalog import load_catalog
from tests.bot.test_render_digest import BASE, digest, goal, goal_texts
from tests.support.fake_slack import block_errors, message_error

MONDAY = date(2026, 11, 23)
BREACH = GuardrailBreached(
    goal=replace(BASE, metric_key="gmv", title="GMV"),
    guard_metric="complaint_rate",
    guard_title="Complaint rate",
    guard_unit="percent",
    guard_scale="fraction",
    guard_currency="$",
    baseline=0.02,
    value=0.027,
    change=0.35,
    threshold=0.1,
    owner_id="U0ANA",
    lead_id="U0LI",
)


def texts(blocks: list[Block]) -> str:
    return json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)


def valid(text: str, blocks: list[Block]) -> None:
    body = {"text": text, "blocks": [block.to_dict() for block in blocks]}
    assert block_errors(body["blocks"]) == []
    assert message_error(body) is None


@pytest.mark.parametrize(
    ("changes", "expected", "absent"),
    [
        pytest.param(
            {},
            "<@U0ANA> <@U0LI>: `complaint_rate` is 35% worse than when the guard was set "
            "(2% → 2.7%) while *GMV* is on track.",
            "None",
            id="owner-and-lead",
        ),
        pytest.param({"lead_id": "U0ANA"}, "<@U0ANA>: `complaint_rate`", "<@U0LI>", id="same"),
        pytest.param({"lead_id": None}, "<@U0ANA>: ", "<@U0LI>", id="no-lead"),
        pytest.param(
            {"owner_id": None, "lead_id": None}, ":shield: `complaint_rate` is 35%", "<@", id="none"
        ),
        pytest.param({"owner_id": "<!channel>"}, "<@U0LI>: ", "<!channel>", id="odd-owner"),
        pytest.param(
            {
                "guard_metric": "nps",
                "guard_unit": "ratio",
                "baseline": 40.0,
                "value": 30.0,
                "change": -0.25,
            },
            "`nps` is 25% worse than when the guard was set (40 → 30)",
            "−25%",
            id="higher-is-better-guard",
        ),
        pytest.param(
            {"goal": replace(BASE, title="<b>GMV</b> & co")},
            "*&lt;b&gt;GMV&lt;/b&gt; &amp; co* is on track",
            "<b>",
            id="escaped-title",
        ),
    ],
)
def test_guard_alert_names_who_what_and_by_how_much(
    changes: dict[str, Any], expected: str, absent: str
) -> None:
    """The alert mentions the owner and lead, the guard metric, its worsening and both values."""
    text, blocks = render(replace(BREACH, **changes))
    shown = texts(blocks)
    assert expected in shown
    assert absent not in shown
    valid(text, blocks)


def test_guard_alert_text_reads_without_markup() -> None:
    """The notification text is the sentence, without the bold around the goal's title."""
    text, blocks = render(BREACH)
    assert text.endswith("while GMV is on track.")
    assert "may get at most 10% worse" in texts(blocks)


@pytest.mark.parametrize(
    ("baseline", "replaced", "expected"),
    [
        pytest.param(0.02, False, "if it gets 10% worse than 2%, its latest value", id="known"),
        pytest.param(None, False, "than its first value goalpulse sees", id="no-value-yet"),
        pytest.param(0.02, True, "guards, from now on,", id="replaced"),
    ],
)
def test_guard_reply(baseline: float | None, replaced: bool, expected: str) -> None:
    """The reply to `/goal guard` says what is watched, against which value."""
    catalog = load_catalog(Path(__file__).parents[1] / "support" / "metrics.yml")
    guard = Guard("complaint_rate", "lower", 0.1, baseline)
    text = guard_saved_text(
        goal="Average order value",
        guard=guard,
        metric=catalog.get("complaint_rate"),
        replaced=replaced,
        metric_key="aov",
    )
    assert expected in text
    assert "`complaint_rate`" in text


BREACHED = GuardStatus("complaint_rate", 0.35, breached=True)


@pytest.mark.parametrize(
    ("changes", "expected", "absent"),
    [
        pytest.param(
            {"band": "yellow", "confidence": "off_track", "raised_by_owner": True},
            "Owner: off track — raised to yellow",
            "check-in missed",
            id="raised",
        ),
        pytest.param(
            {"band": "orange", "deviation": -0.2, "confidence": "off_track"},
            "Owner: off track",
            "raised",
            id="off-track-not-raising",
        ),
        pytest.param({"confidence": "at_risk"}, "Owner: at risk", "raised", id="at-risk"),
        pytest.param({"checkin_missed": True}, "check-in missed", "Owner:", id="missed"),
        pytest.param(
            {"confidence": "on_track", "checkin_missed": True},
            "Owner: on track · check-in missed",
            "raised",
            id="answered-then-missed",
        ),
        pytest.param(
            {"guards": (BREACHED,)},
            "Guard `complaint_rate` +35% (breached)",
            "Owner",
            id="guard-breached",
        ),
        pytest.param(
            {"guards": (GuardStatus("nps", -0.02, breached=False),)},
            "Guard `nps` −2%",
            "breached",
            id="guard-fine",
        ),
        pytest.param(
            {"guards": (GuardStatus("nps", None, breached=False),)},
            "Guard `nps` not measured yet",
            "breached",
            id="guard-unmeasured",
        ),
        pytest.param({}, "owner <@U0ANA>", "Guard", id="nothing-to-add"),
    ],
)
def test_digest_line_shows_owner_and_guards(
    changes: dict[str, Any], expected: str, absent: str
) -> None:
    """Beside the goal: the owner's latest confidence (and whether it raised the band), a
    missed check-in, and each guard's change since it was set."""
    [line] = goal_texts(digest_blocks(digest(goal(**changes))))
    assert expected in line
    assert absent not in line


def test_condensed_digest_keeps_short_notes() -> None:
    """When goals are packed into shorter lines, a raised goal and a breached guard still say
    so, briefly."""
    lines = [
        goal(
            f"m{n:03d}",
            goal_id=n,
            band="yellow",
            deviation=-0.05,
            confidence="off_track",
            raised_by_owner=True,
            guards=(BREACHED,),
            title="A long title " * 5,
        )
        for n in range(800)
    ]
    shown = texts(digest_blocks(digest(*lines)))
    assert "raised by owner" in shown
    assert "guard breached" in shown


def entry(**changes: Any) -> CheckinEntry:
    base = CheckinEntry(
        user_id="U0ANA",
        day=MONDAY,
        confidence="off_track",
        previous="on_track",
        value=152_000.0,
        moved="Big promo <!channel> ended",
        blockers="Payments & refunds backlog",
    )
    return replace(base, **changes)


def week(*goals: GoalWeek) -> WeeklyCheckinSummary:
    return WeeklyCheckinSummary("C0GROWTH", "2026-W48", MONDAY, MONDAY + timedelta(days=6), goals)


def goal_week(key: str = "gmv", **changes: Any) -> GoalWeek:
    base = GoalWeek(
        goal_id=1,
        metric_key=key,
        title="GMV",
        unit="count",
        scale="fraction",
        currency="$",
        answered=(entry(),),
        missed=(MissedCheckin("U0LI", MONDAY + timedelta(days=2)),),
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("summary", "expected", "absent"),
    [
        pytest.param(
            week(goal_week()),
            "• <@U0ANA> · Mon 23 Nov · :red_circle: off track (was on track) · 152k",
            "<!channel>",
            id="answered",
        ),
        pytest.param(
            week(goal_week()),
            ">What moved it (<@U0ANA>): “Big promo &lt;!channel&gt; ended”",
            "<!channel>",
            id="moved-quoted-escaped",
        ),
        pytest.param(
            week(goal_week()),
            ">Blockers (<@U0ANA>): “Payments &amp; refunds backlog”",
            "Payments & refunds",
            id="blockers-quoted-escaped",
        ),
        pytest.param(week(goal_week()), "Missed: <@U0LI> (Wed 25 Nov)", "None", id="missed"),
        pytest.param(
            week(goal_week(answered=(entry(previous="off_track"),))),
            ":red_circle: off track · 152k",
            "(was",
            id="unchanged-confidence",
        ),
        pytest.param(
            week(goal_week(answered=(entry(previous=None, moved=None, blockers=" "),))),
            "off track · 152k",
            "Blockers",
            id="first-without-notes",
        ),
        pytest.param(
            week(goal_week(answered=(entry(late=True, value=None),))),
            "(was on track) · late",
            "152k",
            id="late-without-value",
        ),
        pytest.param(
            week(goal_week(answered=(), missed=(MissedCheckin("U0ANA", MONDAY),))),
            "Missed: <@U0ANA> (Mon 23 Nov)",
            "•",
            id="only-missed",
        ),
        pytest.param(
            week(goal_week()),
            "*Check-ins for week 48* (Mon 23 Nov – Sun 29 Nov)",
            "None",
            id="heading",
        ),
    ],
)
def test_weekly_summary_shows_each_check_in(
    summary: WeeklyCheckinSummary, expected: str, absent: str
) -> None:
    """Who, the confidence and its change, the value, the notes quoted with the person's name
    (escaped), and who missed."""
    text, blocks = render(summary)
    shown = "\n".join(goal_texts(blocks))
    assert expected in shown
    assert absent not in shown
    valid(text, blocks)


def test_weekly_summary_text_counts() -> None:
    """The notification says how many were answered and missed."""
    text, _ = render(week(goal_week(), goal_week("aov")))
    assert text == "Check-ins for week 48 (Mon 23 Nov – Sun 29 Nov): 2 answered, 2 missed"


def test_a_huge_week_stays_within_slack_limits() -> None:
    """300 goals with long notes: every block valid, at most 50, and the rest counted."""
    long = entry(moved="x" * 900, blockers="y" * 900)
    goals = [goal_week(f"metric_{n:03d}", goal_id=n, answered=(long,) * 6) for n in range(300)]
    text, blocks = render(week(*goals))
    assert len(blocks) <= MAX_BLOCKS
    valid(text, blocks)
    assert "more goals" in texts(blocks)
