"""Escalation DMs, the remediation thread and check-in DMs read in Simplified Chinese: no
English left, Slack's limits kept, and the words a reader notices written the Chinese way."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from typing import Any

import pytest

from bot.render.escalation import render
from bot.render.times import day_month, local_time, time_left
from jobs.checkins.cadence import Cadence
from jobs.escalation.flow import CONFIG_COMMANDS
from jobs.i18n import use_locale
from jobs.messages import (
    Acknowledged,
    BandChanged,
    CheckinAnswered,
    CheckinPrompt,
    CloseOut,
    EscalationDm,
    LeadAlerted,
    MissingRecipient,
    Outgoing,
    Recovered,
    Reminder,
    Role,
    Snoozed,
)
from tests.bot.test_render_escalation import DUE, GOAL, LINK, NOW, RED, TZ, parent, view
from tests.bot.test_render_guardrails import BREACH
from tests.support.chinese import english_left, texts_of
from tests.support.fake_slack import block_errors

# The goal's title and metric keys come from configuration: they stay as typed.
ALLOWED = (GOAL.title, "complaint_rate", "Complaint rate")
SUMMARY = "Resolved early: 2/3 items done; metric still adverse."
OVERDUE = "Overdue: 1/3 items done; metric still adverse."
ESCALATED: tuple[tuple[Role, str], ...] = (("lead", "U0LI"), ("ceo", "U0CEO"))
OVERDUE = "Overdue: 1/3 items done; metric still adverse."
ESCALATED = (("lead", "U0LI"), ("ceo", "U0CEO"))
# Slack's limits on the parts of a message that block_errors does not look into.
LIMITS = {"button": 75, "option": 75, "confirm_title": 100, "confirm_button": 30}


def dm(role: str, reason: str, **changes: Any) -> EscalationDm:
    line = RED if role == "ceo" else GOAL
    return replace(EscalationDm(line, "C0001", 7, role, reason, 1, LINK), **changes)  # type: ignore[arg-type]


DMS = [
    pytest.param(dm(role, reason), id=f"dm-{role}-{reason}")
    for role in ("lead", "ceo")
    for reason in ("opened", "rose", "repeat", "overdue")
] + [
    pytest.param(dm("lead", "repeat", snoozed_until=DUE), id="dm-snoozed"),
    pytest.param(dm("ceo", "opened", acknowledged_by="U0LI"), id="dm-acknowledged"),
]
THREAD = [
    pytest.param(parent(), id="parent-open"),
    pytest.param(parent(trigger="trend", trigger_moves=3), id="parent-trend"),
    pytest.param(parent(status="resolved", recovered_at=NOW, closed_at=DUE), id="parent-recovered"),
    pytest.param(view(), id="checklist-open"),
    pytest.param(view(status="resolved", closed_by="U0LI"), id="checklist-closed"),
    pytest.param(LeadAlerted(GOAL, "U0LI", "lead"), id="note-lead-alerted"),
    pytest.param(LeadAlerted(RED, "U0CEO", "ceo"), id="note-ceo-alerted"),
    pytest.param(MissingRecipient(GOAL, "lead", CONFIG_COMMANDS["lead"]), id="note-missing-lead"),
    pytest.param(MissingRecipient(RED, "ceo", CONFIG_COMMANDS["ceo"]), id="note-missing-ceo"),
    pytest.param(BandChanged(RED, "orange", "red"), id="note-rose"),
    pytest.param(BandChanged(GOAL, "red", "orange"), id="note-fell"),
    pytest.param(Recovered(replace(GOAL, band="yellow")), id="note-recovered"),
    pytest.param(Acknowledged(GOAL, "U0LI"), id="note-acknowledged"),
    pytest.param(Snoozed(GOAL, "U0LI", DUE, TZ), id="note-snoozed"),
    pytest.param(Reminder(GOAL, "24h", ("U0LI",), 1, 3, DUE, TZ), id="note-reminder"),
    pytest.param(CloseOut(GOAL, "resolved_early", SUMMARY, 2, 3, (), "U0LI"), id="close-early"),
    pytest.param(CloseOut(GOAL, "overdue", OVERDUE, 1, 3, ESCALATED), id="close-overdue"),
]
CHECKINS = [
    pytest.param(
        CheckinPrompt(GOAL, 7, Cadence("week", time(10, 0), weekday=0), date(2026, 12, 31)),
        id="checkin-prompt",
    ),
    pytest.param(
        CheckinAnswered(GOAL, 7, "at_risk", 120_000.0, "促销结束", "等待财务", NOW, late=True),
        id="checkin-answered",
    ),
    pytest.param(BREACH, id="guardrail-breached"),
]


def _parts(payload: Any) -> list[tuple[str, str]]:
    """(limit name, text) for every button, option and confirm dialog in a payload."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button":
                found.append(("button", node["text"]["text"]))
            for option in node.get("options", []):
                found.append(("option", option["text"]["text"]))
            if isinstance(confirm := node.get("confirm"), dict) and "title" in confirm:
                found.append(("confirm_title", confirm["title"]["text"]))
                found.extend(("confirm_button", confirm[k]["text"]) for k in ("confirm", "deny"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return found


@pytest.mark.parametrize("message", [*DMS, *THREAD, *CHECKINS])
def test_messages_read_in_chinese_within_slacks_limits(message: Outgoing) -> None:
    with use_locale("zh-CN"):
        text, blocks = render(message)
    payload = [block.to_dict() for block in blocks]
    assert english_left(f"{text}\n{texts_of(payload)}", allowed=ALLOWED) == []
    assert block_errors(payload) == []
    assert [(kind, t) for kind, t in _parts(payload) if len(t) > LIMITS[kind]] == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(dm("lead", "opened"), "*Daily active users* 现为橙色", id="dm-headline"),
        pytest.param(dm("lead", "opened"), "12万", id="dm-value-in-wan"),
        pytest.param(dm("lead", "opened"), "确认收到", id="dm-acknowledge-button"),
        pytest.param(view(), "剩余 41 小时", id="checklist-time-left"),
        pytest.param(view(), "11月28日 周五 09:30 CET", id="checklist-due-day"),
        pytest.param(view(), "用户行为热力图复盘", id="default-item-translated"),
        pytest.param(
            CloseOut(GOAL, "resolved_early", SUMMARY, 2, 3, (), "U0LI"),
            "提前解决：已完成 2/3 项；指标仍不利。",
            id="stored-summary-translated",
        ),
    ],
)
def test_chinese_words_a_reader_notices(message: Outgoing, expected: str) -> None:
    with use_locale("zh-CN"):
        _text, blocks = render(message)
    assert expected in texts_of([block.to_dict() for block in blocks])


@pytest.mark.parametrize(
    ("locale", "left", "due", "day"),
    [
        pytest.param("en", "41h left", "Fri 28 Nov, 09:30 CET", "31 Dec 2026", id="en"),
        pytest.param("zh-CN", "剩余 41 小时", "11月28日 周五 09:30 CET", "2026年12月31日", id="zh"),
    ],
)
def test_times_follow_the_locale(locale: str, left: str, due: str, day: str) -> None:
    with use_locale(locale):
        assert time_left(DUE, NOW) == left
        assert local_time(DUE, TZ) == due
        assert day_month(date(2026, 12, 31), date(2025, 1, 1)) == day
        assert time_left(NOW, DUE) == ("past due" if locale == "en" else "已逾期")


def test_a_typed_checklist_title_stays_as_typed() -> None:
    typed = replace(view().items[0], title="Pricing page review")
    with use_locale("zh-CN"):
        _text, blocks = render(view(items=(typed,)))
    assert "Pricing page review" in texts_of([block.to_dict() for block in blocks])


def test_english_is_unchanged_for_a_stored_summary() -> None:
    _text, blocks = render(CloseOut(GOAL, "resolved_early", SUMMARY, 2, 3, (), "U0LI"))
    assert SUMMARY in texts_of([block.to_dict() for block in blocks])
