"""Escalation and remediation messages as Block Kit: `bot.render.escalation`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from slack_sdk.models.blocks import Block

from bot.constants import (
    ACKNOWLEDGE_ACTION,
    CHECKLIST_ACTION,
    ITEM_OWNER_ACTION,
    RESOLVE_ACTION,
    SNOOZE_ACTION,
    checklist_block_id,
    episode_block_id,
    owner_block_id,
    parse_checklist_block_id,
    parse_episode_block_id,
    parse_id,
    parse_owner_block_id,
)
from bot.render.escalation import render
from bot.render.times import local_time, time_left
from jobs.errors import UsageError
from jobs.escalation.flow import CONFIG_COMMANDS
from jobs.escalation.remediation import ChecklistItem
from jobs.messages import (
    Acknowledged,
    AffectedGoal,
    BandChanged,
    ChecklistView,
    CloseOut,
    DeliveryProblem,
    EscalationDm,
    HeatmapUnavailable,
    LeadAlerted,
    MissingRecipient,
    Outgoing,
    Recovered,
    RemediationParent,
    Reminder,
    SelfCheckNotice,
    Snoozed,
    SourceNotice,
    WeeklyCheckinSummary,
)
from tests.bot.test_render_checkins import CHECKIN_CASES, CHECKIN_IDS
from tests.bot.test_render_digest import BASE
from tests.bot.test_render_guardrails import BREACH, goal_week, week
from tests.support.fake_slack import block_errors, message_error

# Friday 28 November 2025, 09:30 in Berlin (CET, UTC+1).
DUE = datetime(2025, 11, 28, 8, 30, tzinfo=UTC)
NOW = DUE - timedelta(hours=41, minutes=10)
OPENED = DUE - timedelta(hours=72)
TZ = "Europe/Berlin"
LINK = "https://example.slack.com/archives/C0001/p1700000000000100"
# The digest's goal line, sliding into orange.
GOAL = replace(
    BASE,
    band="orange",
    value=120_000.0,
    deviation=-0.2,
    sparkline=(150_000.0, 140_000.0, 135_000.0, 130_000.0, 125_000.0, None, 120_000.0),
    consecutive_adverse=3,
    trend_alert=True,
)
RED = replace(GOAL, band="red", value=100_000.0, deviation=-1 / 3)
ITEMS = (
    ChecklistItem("behaviour-heatmap-review", "Behaviour heatmap review", "U0ANA", "U0LI", NOW),
    ChecklistItem("customer-service-script-a-b-test", "Customer-service script A/B test", "U0LI"),
    ChecklistItem("competitor-scan", "Competitor scan", "U0BOB", "U0BOB", NOW),
)


FAILING = SourceNotice(
    "dau",
    GOAL.title,
    OPENED,
    "dau: dau.csv: file not found",
    (
        AffectedGoal("dau", GOAL.title, "C0001"),
        AffectedGoal("dau_k", "DAU in thousands", "C0002", True),
    ),
)


def dm(**changes: Any) -> EscalationDm:
    base = EscalationDm(GOAL, "C0001", 7, "lead", "opened", 0, LINK)
    return replace(base, **changes)


def view(**changes: Any) -> ChecklistView:
    return replace(ChecklistView(GOAL, 42, ITEMS, DUE, "open", TZ, NOW), **changes)


def parent(**changes: Any) -> RemediationParent:
    return replace(RemediationParent(GOAL, 42, "orange", OPENED, DUE, "open", TZ), **changes)


def as_dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def texts(blocks: list[Block]) -> str:
    """Every piece of mrkdwn in the blocks, one per line."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(as_dicts(blocks))
    return "\n".join(out)


def elements(blocks: list[Block]) -> list[dict[str, Any]]:
    """Every interactive element: in actions blocks and as section accessories."""
    found = []
    for block in as_dicts(blocks):
        found += block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory"):
            found.append(block["accessory"])
    return found


def slack_limit_errors(blocks: list[Block]) -> list[str]:
    """Limits Slack enforces on interactive elements that the fake does not check."""
    errors = []
    dicts = as_dicts(blocks)
    block_ids = [b["block_id"] for b in dicts if "block_id" in b]
    if len(block_ids) != len(set(block_ids)) or any(len(b) > 255 for b in block_ids):
        errors.append("block ids must be unique and at most 255 characters")
    for element in elements(blocks):
        options = element.get("options", [])
        if len(options) > 10:
            errors.append("at most 10 options")
        if any(len(o["text"]["text"]) > 75 or len(o["value"]) > 150 for o in options):
            errors.append("option text at most 75, value at most 150 characters")
        if element.get("initial_options") == []:
            errors.append("initial_options must not be empty")
        if not set(map(json.dumps, element.get("initial_options", []))) <= set(
            map(json.dumps, options)
        ):
            errors.append("initial_options must be among the options")
        if element["type"] == "button" and len(element["text"]["text"]) > 75:
            errors.append("button text at most 75 characters")
    return errors


EVERY_MESSAGE: list[Outgoing] = [
    dm(),
    dm(reason="rose", goal=RED, role="ceo"),
    dm(reason="repeat", repeat=2, snoozed_until=NOW),
    dm(acknowledged_by="U0LI", thread_link=None),
    dm(reason="overdue", remediation_id=42),
    parent(),
    parent(trigger="trend", goal=replace(GOAL, band="green")),
    parent(recovered_at=NOW, status="resolved", closed_at=NOW, goal=replace(GOAL, band="yellow")),
    view(),
    view(items=tuple(replace(item, done_by=None, done_at=None) for item in ITEMS)),
    view(status="overdue", closed_by="U0LI"),
    LeadAlerted(GOAL, "U0LI", "lead"),
    MissingRecipient(GOAL, "lead", CONFIG_COMMANDS["lead"]),
    BandChanged(RED, "orange", "red"),
    Recovered(replace(GOAL, band="yellow")),
    Acknowledged(GOAL, "U0LI"),
    Snoozed(GOAL, "U0LI", DUE, TZ),
    Reminder(GOAL, "24h", ("U0LI",), 1, 3, DUE, TZ),
    CloseOut(GOAL, "overdue", "1 of 3 items done.", 1, 3, (("lead", "U0LI"), ("ceo", "U0ADMIN"))),
    HeatmapUnavailable(GOAL, "orders dataset: no csv files match /data/orders/*.csv"),
    FAILING,
    replace(FAILING, error=None, recovered_at=NOW),
    DeliveryProblem("not_in_channel", "C0001", "C0001", "dau", "parent"),
    DeliveryProblem("user_not_found", "U0LI", "C0001", "dau", "dm"),
    DeliveryProblem("service_unavailable", "C0001", "C0001", "dau", "note", permanent=False),
    SelfCheckNotice(problem="outbox", since=OPENED, seen_at=NOW, waiting=2),
    SelfCheckNotice(
        problem="source",
        since=OPENED,
        seen_at=NOW,
        metric_key="dau",
        title=GOAL.title,
        error="dau: dau.csv: file not found",
    ),
    BREACH,
    week(goal_week()),
    *CHECKIN_CASES,
]
IDS = [
    "dm-opened",
    "dm-rose-ceo",
    "dm-repeat-snoozed",
    "dm-acknowledged",
    "dm-overdue",
    "parent",
    "parent-trend",
    "parent-recovered-closed",
    "checklist",
    "checklist-none-done",
    "checklist-closed",
    "lead-alerted",
    "missing-recipient",
    "band-changed",
    "recovered",
    "acknowledged",
    "snoozed",
    "reminder",
    "close-out",
    "heatmap-unavailable",
    "source-failing",
    "source-recovered",
    "problem-channel",
    "problem-user",
    "problem-transient",
    "self-check-outbox",
    "self-check-source",
    "guardrail-breached",
    "weekly-checkin-summary",
    *CHECKIN_IDS,
]


@pytest.mark.parametrize("message", EVERY_MESSAGE, ids=IDS)
def test_every_message_renders_valid_slack_blocks(message: Outgoing) -> None:
    """Each message renders text and blocks that Slack (the fake's validators) accepts."""
    text, blocks = render(message)
    body = {"text": text, "blocks": as_dicts(blocks)}
    assert text
    assert block_errors(body["blocks"]) == []
    assert message_error(body) is None
    assert slack_limit_errors(blocks) == []


def test_every_message_type_has_a_rendering_case() -> None:
    """The table above covers every type in the Outgoing union."""
    assert {type(m) for m in EVERY_MESSAGE} == set(get_args(Outgoing))


def test_dm_shows_numbers_link_and_buttons() -> None:
    """A first DM shows value, target, deviation, trend, the thread link and both buttons."""
    text, blocks = render(dm())
    shown = texts(blocks)
    for expected in ("120k", "150k", "−20.0%", "▁", "is now orange", "You are the lead"):
        assert expected in shown
    assert f"<{LINK}|Open the remediation thread>" in shown
    assert "Daily active users is now orange" in text
    [actions] = [b for b in as_dicts(blocks) if b["type"] == "actions"]
    assert actions["block_id"] == episode_block_id(7) == "episode:7"
    buttons = [(e["action_id"], e["value"], e.get("style")) for e in actions["elements"]]
    assert buttons == [(ACKNOWLEDGE_ACTION, "7", "primary"), (SNOOZE_ACTION, "7", None)]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"reason": "opened"}, "is now orange"),
        ({"reason": "rose", "goal": RED}, "rose to red"),
        ({"reason": "repeat", "repeat": 3}, "reminder 3 of 5"),
        ({"reason": "overdue", "remediation_id": 42}, "remediation overdue"),
        ({"role": "ceo", "goal": RED}, "As CEO"),
        ({"role": "lead"}, "You are the lead for this goal in <#C0001>"),
    ],
    ids=["opened", "rose", "repeat", "overdue", "ceo", "lead"],
)
def test_dm_says_why_and_to_whom(changes: dict[str, Any], expected: str) -> None:
    """The DM names the reason for this ping and the recipient's role."""
    assert expected in texts(render(dm(**changes))[1])


def test_acknowledged_dm_has_no_buttons() -> None:
    """Once acknowledged, the DM shows who did it and offers no buttons."""
    _, blocks = render(dm(acknowledged_by="U0LI", snoozed_until=NOW))
    assert elements(blocks) == []
    assert "Acknowledged by <@U0LI>" in texts(blocks)


def test_snoozed_dm_keeps_only_acknowledge() -> None:
    """A snoozed DM can still be acknowledged, and says until when it is snoozed."""
    _, blocks = render(dm(snoozed_until=NOW))
    assert [e["action_id"] for e in elements(blocks)] == [ACKNOWLEDGE_ACTION]
    assert "Snoozed until <!date^" in texts(blocks)


def test_overdue_dm_has_no_buttons_only_the_link() -> None:
    """An overdue-remediation DM links to the thread and has nothing to click."""
    _, blocks = render(dm(reason="overdue", remediation_id=42))
    assert elements(blocks) == []
    assert f"<{LINK}|Open the remediation thread>" in texts(blocks)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (parent(), ":large_orange_circle: *Remediation: Daily active users*"),
        (parent(), "it reached orange"),
        (parent(trigger="trend", trigger_moves=3), "3 adverse moves in a row"),
        (parent(), "Due Fri 28 Nov, 09:30 CET · Checklist in the thread ⤵"),
        (parent(timezone="America/New_York"), "Due Fri 28 Nov, 03:30 EST"),
        (parent(status="resolved", closed_at=NOW), "Closed: resolved"),
        (parent(status="overdue", closed_at=DUE), "Closed: overdue"),
    ],
    ids=["title", "orange", "trend", "due-local", "due-other-zone", "resolved", "overdue"],
)
def test_remediation_parent(message: RemediationParent, expected: str) -> None:
    """The parent message names the trigger, the numbers, the local due time and the status."""
    _, blocks = render(message)
    assert expected in texts(blocks)
    assert "120k vs 150k" in texts(blocks)


def test_recovered_parent_says_so_first() -> None:
    """After recovery the parent message leads with a clear recovered line."""
    _, blocks = render(parent(recovered_at=NOW, goal=replace(GOAL, band="green")))
    first = as_dicts(blocks)[0]["text"]["text"]
    assert first.startswith(":white_check_mark: *Recovered — back in green*")


def test_checklist_progress_checkboxes_and_owners() -> None:
    """The open checklist shows progress, ticks done items and preselects each owner."""
    _, blocks = render(view())
    dicts = as_dicts(blocks)
    assert "2/3 done · 41h left · due Fri 28 Nov, 09:30 CET" in dicts[0]["text"]["text"]
    [checklist] = [b for b in dicts if b.get("block_id") == checklist_block_id(42)]
    [boxes] = checklist["elements"]
    assert (boxes["type"], boxes["action_id"]) == ("checkboxes", CHECKLIST_ACTION)
    assert [o["value"] for o in boxes["options"]] == [item.key for item in ITEMS]
    assert [o["value"] for o in boxes["initial_options"]] == [
        "behaviour-heatmap-review",
        "competitor-scan",
    ]
    owners = {
        b["block_id"]: (b["accessory"]["action_id"], b["accessory"]["initial_user"])
        for b in dicts
        if b.get("accessory")
    }
    assert owners == {
        owner_block_id(42, item.key): (ITEM_OWNER_ACTION, item.owner_id) for item in ITEMS
    }
    assert "done by <@U0LI>" in texts(blocks)


def test_checklist_with_nothing_done_has_no_initial_options() -> None:
    """With no item done, `initial_options` is left out (Slack rejects an empty list)."""
    _, blocks = render(view(items=tuple(replace(i, done_by=None, done_at=None) for i in ITEMS)))
    [boxes] = [e for e in elements(blocks) if e["type"] == "checkboxes"]
    assert "initial_options" not in boxes


def test_checklist_resolve_button() -> None:
    """Resolve is a primary button with the remediation id and a confirm dialog."""
    _, blocks = render(view())
    [resolve] = [e for e in elements(blocks) if e.get("action_id") == RESOLVE_ACTION]
    assert (resolve["value"], resolve["style"]) == ("42", "primary")
    assert resolve["confirm"]["confirm"]["text"] == "Resolve"


@pytest.mark.parametrize(
    ("status", "closed_by", "expected"),
    [
        ("resolved", "U0LI", "Closed: resolved (by <@U0LI>)"),
        ("overdue", None, "Closed: overdue"),
    ],
    ids=["resolved-by", "overdue"],
)
def test_closed_checklist_has_no_interactive_elements(
    status: str, closed_by: str | None, expected: str
) -> None:
    """A closed checklist shows each item's final state and nothing to click."""
    _, blocks = render(view(status=status, closed_by=closed_by))
    assert elements(blocks) == []
    shown = texts(blocks)
    assert expected in shown
    assert "Behaviour heatmap review* — done by <@U0LI>" in shown
    assert "Customer-service script A/B test* — not done" in shown


def test_long_checklist_stays_within_slack_limits() -> None:
    """Many long items: at most 10 checkboxes, option text cut to 75, under 50 blocks."""
    items = tuple(ChecklistItem(f"item-{n}", f"Item {n} " + "&" * 80, "U0ANA") for n in range(60))
    _, blocks = render(view(items=items))
    body = {"text": "x", "blocks": as_dicts(blocks)}
    assert message_error(body) is None
    assert slack_limit_errors(blocks) == []
    [boxes] = [e for e in elements(blocks) if e["type"] == "checkboxes"]
    assert len(boxes["options"]) == 10
    assert boxes["options"][0]["text"]["text"].endswith("&amp;…")


@pytest.mark.parametrize(
    ("role", "who", "command"),
    [
        ("lead", "No lead is set for this goal or channel", "/goal config lead @someone"),
        ("ceo", "No CEO is set", "/goal config ceo @someone"),
    ],
    ids=["lead", "ceo"],
)
def test_missing_recipient_says_who_and_how(role: str, who: str, command: str) -> None:
    """The note says which role is missing and the exact command that sets it."""
    text, blocks = render(MissingRecipient(GOAL, role, CONFIG_COMMANDS[role]))
    shown = texts(blocks)
    assert who in shown
    assert "nobody was told" in shown
    assert f"`{command}`" in shown
    assert command in text


HOSTILE = "Daily <!channel> *bold* users"
HOSTILE_ITEM = "Check <!here> & <@U0BOSS> *now*"


def hostile(message: Outgoing) -> Outgoing:
    """The message with its outside text (a title, Slack's error code) made hostile."""
    if isinstance(message, SourceNotice | SelfCheckNotice):
        return replace(message, title=HOSTILE)
    if isinstance(message, DeliveryProblem | HeatmapUnavailable):
        return replace(message, reason=HOSTILE)
    if isinstance(message, WeeklyCheckinSummary):
        return replace(message, goals=tuple(replace(g, title=HOSTILE) for g in message.goals))
    return replace(message, goal=replace(message.goal, title=HOSTILE))


@pytest.mark.parametrize("message", [hostile(m) for m in EVERY_MESSAGE], ids=IDS)
def test_user_text_is_escaped(message: Outgoing) -> None:
    """A metric title with `<!channel>` and `*bold*` never pings, in blocks or fallback text."""
    if isinstance(message, ChecklistView):
        message = replace(message, items=(replace(ITEMS[0], title=HOSTILE_ITEM), *ITEMS[1:]))
    text, blocks = render(message)
    everything = json.dumps(as_dicts(blocks), ensure_ascii=False) + text
    for raw in ("<!channel>", "<!here>", "<@U0BOSS>"):
        assert raw not in everything
    # Acknowledged is the only note that does not name the goal; a stuck outbox names none.
    names_it = not isinstance(message, Acknowledged) and not (
        isinstance(message, SelfCheckNotice) and message.problem == "outbox"
    )
    if names_it:
        assert "Daily &lt;!channel&gt; *bold* users" in texts(blocks)
    if isinstance(message, ChecklistView):
        assert "Check &lt;!here&gt; &amp; &lt;@U0BOSS&gt; *now*" in texts(blocks)


def test_reminder_mentions_each_owner_once() -> None:
    """The reminder mentions every owner of an unchecked item exactly once."""
    owners = ("U0ANA", "U0LI", "U0ANA", "U0BOB")
    text, blocks = render(Reminder(GOAL, "24h", owners, 1, 3, DUE, TZ))
    shown = texts(blocks)
    for owner in ("U0ANA", "U0LI", "U0BOB"):
        assert shown.count(f"<@{owner}>") == 1
    assert "<@U0ANA> <@U0LI> <@U0BOB>: 1/3 done · 48h left · due Fri 28 Nov, 09:30 CET" in shown
    assert "<@U0ANA>" in text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (LeadAlerted(GOAL, "U0LI", "lead"), "<@U0LI> — *Daily active users* is"),
        (BandChanged(RED, "orange", "red"), ":large_orange_circle: → :red_circle: *Daily"),
        (BandChanged(GOAL, "red", "orange"), "fell from red to orange"),
        (Recovered(replace(GOAL, band="green")), "recovered — back in green"),
        (
            Acknowledged(GOAL, "U0LI"),
            "Acknowledged by <@U0LI> — repeats stopped; the deadline stands",
        ),
        (Snoozed(GOAL, "U0LI", DUE, TZ), "<@U0LI> snoozed the reminders"),
        (Snoozed(GOAL, "U0LI", DUE, TZ), "until Fri 28 Nov, 09:30 CET"),
        (CloseOut(GOAL, "resolved_early", "All done.", 3, 3), "*Resolved early*"),
        (CloseOut(GOAL, "overdue", "", 1, 3), "*Overdue*"),
        (
            CloseOut(GOAL, "overdue", "1 of 3 done.", 1, 3, (("lead", "U0LI"), ("ceo", "U0A"))),
            "Escalated to <@U0LI> (lead), <@U0A> (CEO)",
        ),
        (
            HeatmapUnavailable(GOAL, "orders dataset: cannot read\norders.csv"),
            "Customer heatmap unavailable: orders dataset: cannot read orders.csv",
        ),
    ],
    ids=[
        "lead-alerted",
        "band-rose",
        "band-fell",
        "recovered",
        "acknowledged",
        "snoozed-who",
        "snoozed-until",
        "resolved-early",
        "overdue",
        "escalated-to",
        "heatmap-unavailable",
    ],
)
def test_thread_notes(message: Outgoing, expected: str) -> None:
    """Each thread note says what happened, mentioning people by id."""
    assert expected in texts(render(message)[1])


@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [
        (DUE, NOW, "41h left"),
        (DUE, DUE - timedelta(minutes=25), "25m left"),
        (DUE, DUE - timedelta(seconds=20), "1m left"),
        (DUE, DUE, "past due"),
    ],
    ids=["hours", "minutes", "under-a-minute", "past"],
)
def test_time_left(due: datetime, now: datetime, expected: str) -> None:
    """Time left is whole hours, then minutes, then past due."""
    assert time_left(due, now) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Berlin", "Fri 28 Nov, 09:30 CET"),
        ("Asia/Tokyo", "Fri 28 Nov, 17:30 JST"),
        ("Not/AZone", "Fri 28 Nov, 08:30 UTC"),
    ],
    ids=["berlin", "tokyo", "unknown-zone-is-utc"],
)
def test_local_time(zone: str, expected: str) -> None:
    """Times are shown in the channel's timezone, with its abbreviation."""
    assert local_time(DUE, zone) == expected


def test_block_ids_round_trip() -> None:
    """Block ids built for a message parse back to the ids they carry."""
    assert parse_checklist_block_id(checklist_block_id(42)) == 42
    assert parse_owner_block_id(owner_block_id(42, "competitor-scan")) == (42, "competitor-scan")
    assert parse_episode_block_id(episode_block_id(7)) == 7
    assert parse_id("12") == 12


@pytest.mark.parametrize(
    ("parse", "value"),
    [
        (parse_checklist_block_id, "checklist:"),
        (parse_checklist_block_id, "owner:1:a"),
        (parse_checklist_block_id, "checklist:-1"),
        (parse_checklist_block_id, None),
        (parse_owner_block_id, "owner:1"),
        (parse_owner_block_id, "owner:x:key"),
        (parse_owner_block_id, "owner:1:bad key!"),
        (parse_episode_block_id, "episode:1e3"),
        (parse_episode_block_id, "episode: 1"),
        (parse_id, "٣"),
        (parse_id, ""),
    ],
    ids=[
        "checklist-no-id",
        "checklist-wrong-kind",
        "checklist-negative",
        "checklist-none",
        "owner-no-key",
        "owner-bad-id",
        "owner-bad-key",
        "episode-float",
        "episode-space",
        "non-ascii-digit",
        "empty",
    ],
)
def test_block_id_garbage_is_a_usage_error(parse: Any, value: object) -> None:
    """Anything that is not a block id or value we built raises UsageError."""
    with pytest.raises(UsageError):
        parse(value)
