"""The check-in DMs as Block Kit: `bot.render.checkins`, through `bot.render.escalation.render`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from bot.constants import CHECKIN_BUTTON
from bot.render.checkins import recent_checkins_text
from bot.render.escalation import render
from bot.render.guardrails import guards_text
from jobs.checkins.cadence import Cadence
from jobs.messages import CheckinAnswered, CheckinPrompt, Outgoing
from storage.models import Checkin
from tests.bot.test_render_digest import BASE

GOAL = replace(BASE, title="Average <order> value", value=48.5, target=50.0, unit="count")
MONDAYS = Cadence(every="week", at=time(10, 0))
PROMPT = CheckinPrompt(GOAL, 7, MONDAYS, date(2026, 12, 31), manual=True)
ANSWERED = CheckinAnswered(
    GOAL,
    7,
    "off_track",
    52.5,
    moved="Promo <!channel> & <@U0BOB> *ended*",
    blockers="Waiting on <https://evil.example|finance>",
    answered_at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
)
# Every kind of check-in message, for tests/bot/test_render_escalation.py's table.
CHECKIN_CASES: list[Outgoing] = [
    PROMPT,
    replace(PROMPT, reminder=True, manual=False, goal=replace(GOAL, value=None), due_date=None),
    ANSWERED,
    replace(ANSWERED, value=None, moved=None, blockers=None, confidence=None, late=True),
]
CHECKIN_IDS = ["checkin-prompt", "checkin-reminder", "checkin-answered", "checkin-answered-late"]


def as_dicts(message: Outgoing) -> tuple[str, list[dict[str, Any]]]:
    text, blocks = render(message)
    return text, [block.to_dict() for block in blocks]


@pytest.mark.parametrize(
    ("message", "text", "shown"),
    [
        pytest.param(
            PROMPT,
            "Time to check in on Average &lt;order&gt; value",
            ["Latest: 48.5 on", "target 50 by 31 Dec 2026", "asks for the latest value"],
            id="prompt",
        ),
        pytest.param(
            CHECKIN_CASES[1],
            "Reminder: time to check in on Average &lt;order&gt; value",
            ["No value yet · target 50", "shows the latest pulled value"],
            id="reminder",
        ),
    ],
)
def test_the_prompt_has_one_check_in_button(
    message: CheckinPrompt, text: str, shown: list[str]
) -> None:
    """Its headline, the latest value and target, and one button carrying the check-in id."""
    said, blocks = as_dicts(message)
    assert said == text
    body = json.dumps(blocks, ensure_ascii=False)
    assert all(part in body for part in shown), body
    assert "every Monday at 10:00" in body
    [actions] = [block for block in blocks if block["type"] == "actions"]
    [button] = actions["elements"]
    assert (button["action_id"], button["value"], button["text"]["text"]) == (
        CHECKIN_BUTTON,
        "7",
        "Check in",
    )


def test_the_answered_dm_shows_the_answer_inert_and_no_button() -> None:
    """Confidence, value and the notes as typed, none of which can ping or link."""
    text, blocks = as_dicts(ANSWERED)
    body = json.dumps(blocks, ensure_ascii=False)
    assert text == "Checked in on Average &lt;order&gt; value"
    assert all(block["type"] != "actions" for block in blocks)
    for shown in ("Off track", "52.5", "*What moved it*", "*Blockers*", "&lt;!channel&gt;"):
        assert shown in body
    for live in ("<!channel>", "<@U0BOB>", "<https://evil.example"):
        assert live not in body


def test_a_late_answer_says_so() -> None:
    """Answered after it was recorded missed: the headline says it."""
    text, _ = as_dicts(CHECKIN_CASES[3])
    assert text.endswith("(after it was recorded missed)")


def _checkin(**fields: object) -> Checkin:
    base: dict[str, object] = {
        "goal_id": 1,
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U0LI",
        "day": date(2026, 11, 30),
        "state": "answered",
    }
    return Checkin(**(base | fields))


@pytest.mark.parametrize(
    ("checkins", "shown", "hidden"),
    [
        pytest.param([], None, [], id="none"),
        pytest.param(
            [_checkin(confidence="off_track", value=480.0, moved="Promo <!channel> ended")],
            [
                "*Recent check-ins* (1)",
                "Mon 30 Nov",
                "<@U0LI>",
                ":red_circle: off track",
                "What moved it: “Promo &lt;!channel&gt; ended”",
            ],
            ["<!channel>"],
            id="answered-with-note-inert",
        ),
        pytest.param(
            [_checkin(state="missed", day=date(2026, 11, 23))],
            ["Mon 23 Nov", "missed"],
            ["off track"],
            id="missed",
        ),
        pytest.param(
            [_checkin(confidence="at_risk", late=True, blockers="Legal")],
            [":large_yellow_circle: at risk", "late", "Blockers: “Legal”"],
            [],
            id="late-with-blocker",
        ),
    ],
)
def test_goal_show_lists_recent_checkins(
    checkins: list[Checkin], shown: list[str] | None, hidden: list[str]
) -> None:
    """Newest first, who and when, the confidence, and the notes as typed but inert."""
    text = recent_checkins_text(checkins, None)
    if shown is None:
        assert text is None
        return
    assert text is not None
    for part in shown:
        assert part in text
    for part in hidden:
        assert part not in text


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param([], None, id="none"),
        pytest.param(
            [{"metric_key": "complaint_rate", "threshold": 0.1}],
            ":shield: *Guardrails:* `complaint_rate` (at most 10% worse)",
            id="one",
        ),
        pytest.param(
            [{"metric_key": "`x`<@U1>", "threshold": 0.25}],
            ":shield: *Guardrails:* `'x'&lt;@U1&gt;` (at most 25% worse)",
            id="inert-key",
        ),
    ],
)
def test_goal_show_lists_guardrails(entries: list[dict[str, object]], expected: str | None) -> None:
    assert guards_text(entries) == expected
