"""The pure 72-hour remediation lifecycle: checklist, permissions, reminders and close-out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from jobs.errors import PermissionDeniedError
from jobs.escalation.remediation import (
    DEFAULT_ITEMS,
    MAX_ITEMS,
    Effect,
    EscalateToCeo,
    EscalateToLead,
    PostCloseOut,
    RedrawChecklist,
    Remediation,
    RemindOwners,
    Timer,
    due_timers,
    fire,
    open_remediation,
    progress,
    resolve,
    time_left,
    toggle_item,
)
from jobs.escalation.remediation import assign_item as assign

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
OWNER, LEAD, ADMIN, OTHER = "U_OWNER", "U_LEAD", "U_ADMIN", "U_OTHER"
HEATMAP, SCRIPT, SCAN = (
    "behaviour-heatmap-review",
    "customer-service-script-a-b-test",
    "competitor-scan",
)


def new(extra: Sequence[str] = ()) -> Remediation:
    return open_remediation(
        goal_id="g1", trigger="orange", owner_id=OWNER, lead_id=LEAD, now=T0, extra_items=extra
    )


def tick(rem: Remediation, *keys: str, at: datetime = T0 + H) -> Remediation:
    for key in keys:
        rem, _ = toggle_item(rem, item_key=key, done=True, user_id=OWNER, now=at)
    return rem


def timer(rem: Remediation, kind: str) -> Timer:
    return next(t for t in due_timers(rem, now=rem.due_at) if t.kind == kind)


@pytest.mark.parametrize(
    ("extra", "titles"),
    [
        ((), DEFAULT_ITEMS),
        (("User journey map review",), (*DEFAULT_ITEMS, "User journey map review")),
    ],
    ids=["defaults", "workspace-extra-item"],
)
def test_open(extra: tuple[str, ...], titles: tuple[str, ...]) -> None:
    """Opening lists the default (plus workspace) items, all owned by the goal owner, due in 72h."""
    rem = new(extra)
    assert tuple(i.title for i in rem.items) == titles
    assert {i.owner_id for i in rem.items} == {OWNER}
    assert len({i.key for i in rem.items}) == len(titles)
    assert (rem.status, rem.due_at, rem.reminders_sent) == ("open", T0 + 72 * H, ())
    assert progress(rem) == (0, len(titles))
    assert time_left(rem, T0 + 10 * H) == 62 * H


TREATMENT = "Wake-up plan for churned customers"
EXTRAS = tuple(f"Review {n}" for n in range(7))


@pytest.mark.parametrize(
    ("first", "extra", "titles"),
    [
        pytest.param((), (), DEFAULT_ITEMS, id="no-treatment"),
        pytest.param((TREATMENT,), (), (TREATMENT, *DEFAULT_ITEMS), id="treatment-first"),
        pytest.param(
            (TREATMENT,),
            ("Pricing page review",),
            (TREATMENT, *DEFAULT_ITEMS, "Pricing page review"),
            id="treatment-defaults-then-workspace-items",
        ),
        pytest.param(
            ("competitor SCAN",),
            (),
            ("competitor SCAN", *DEFAULT_ITEMS[:2]),
            id="treatment-naming-a-default-item-comes-once-first",
        ),
        pytest.param(
            (TREATMENT,),
            (TREATMENT.upper(), "Pricing page review"),
            (TREATMENT, *DEFAULT_ITEMS, "Pricing page review"),
            id="workspace-item-repeating-the-treatment-left-off",
        ),
        pytest.param(
            (TREATMENT,),
            EXTRAS,
            (TREATMENT, *DEFAULT_ITEMS, *EXTRAS[:6]),
            id="past-ten-items-the-last-left-off",
        ),
    ],
)
def test_open_with_first_items(
    first: tuple[str, ...], extra: tuple[str, ...], titles: tuple[str, ...]
) -> None:
    """A tier's treatment comes before the default items and the workspace's; each title once,
    at most ten (Slack's checkboxes), every key unique."""
    rem = open_remediation(
        goal_id="g1",
        trigger="red",
        owner_id=OWNER,
        lead_id=LEAD,
        now=T0,
        first_items=first,
        extra_items=extra,
    )
    assert tuple(i.title for i in rem.items) == titles
    assert len(rem.items) <= MAX_ITEMS
    assert len({i.key for i in rem.items}) == len(titles)


@pytest.mark.parametrize(
    ("start_done", "done", "changed", "expected_done"),
    [
        (False, True, True, 1),
        (True, False, True, 0),
        (True, True, False, 1),
        (False, False, False, 0),
    ],
    ids=["tick", "untick", "duplicate-tick", "duplicate-untick"],
)
def test_toggle(start_done: bool, done: bool, changed: bool, expected_done: int) -> None:
    """Ticking records who and when and redraws; repeating the current state does nothing."""
    rem = tick(new(), HEATMAP) if start_done else new()
    after, effects = toggle_item(rem, item_key=HEATMAP, done=done, user_id=LEAD, now=T0 + 2 * H)
    assert effects == ([RedrawChecklist("g1")] if changed else [])
    assert (after != rem) is changed
    assert progress(after) == (expected_done, 3)
    item = after.items[0]
    if changed and done:
        assert (item.done_by, item.done_at) == (LEAD, T0 + 2 * H)
    if not done:
        assert (item.done_by, item.done_at) == (None, None)


@pytest.mark.parametrize(
    ("owner", "changed"), [(LEAD, True), (OWNER, False)], ids=["reassign", "same-owner"]
)
def test_assign(owner: str, changed: bool) -> None:
    """Reassigning an item changes its owner and redraws; the same owner again is a no-op."""
    rem = new()
    after, effects = assign(rem, item_key=SCAN, owner_id=owner, user_id=LEAD, now=T0 + H)
    assert after.items[2].owner_id == owner
    assert effects == ([RedrawChecklist("g1")] if changed else [])


@pytest.mark.parametrize(
    ("kind", "done_keys", "expected"),
    [
        ("reminder_24h", (), [RemindOwners("g1", (OWNER, LEAD), "24h")]),
        ("reminder_48h", (SCAN,), [RemindOwners("g1", (OWNER,), "48h")]),
        ("reminder_24h", (HEATMAP, SCRIPT), [RemindOwners("g1", (LEAD,), "24h")]),
        ("reminder_48h", (HEATMAP, SCRIPT, SCAN), []),
    ],
    ids=["24h-all-owners", "48h-unchecked-only", "24h-only-lead-left", "48h-all-done-silent"],
)
def test_reminders(kind: str, done_keys: tuple[str, ...], expected: list[Effect]) -> None:
    """Reminders mention the owners of unchecked items only, and nobody once all are done."""
    rem, _ = assign(new(), item_key=SCAN, owner_id=LEAD, user_id=OWNER, now=T0)
    rem = tick(rem, *done_keys)
    after, effects = fire(rem, timer(rem, kind), now=rem.due_at, metric_adverse=True, band="orange")
    assert effects == expected
    assert after.reminders_sent == (kind.removeprefix("reminder_"),)


@pytest.mark.parametrize(
    ("all_done", "adverse", "band", "status", "escalations"),
    [
        (True, False, "green", "resolved", []),
        (True, True, "orange", "overdue", [EscalateToLead("g1")]),
        (False, False, "yellow", "overdue", [EscalateToLead("g1")]),
        (False, True, "red", "overdue", [EscalateToLead("g1"), EscalateToCeo("g1")]),
    ],
    ids=["resolved", "overdue-still-adverse", "overdue-items-open", "overdue-red-ceo"],
)
def test_close_out(
    all_done: bool, adverse: bool, band: str, status: str, escalations: list[Effect]
) -> None:
    """At +72h: resolved if all done and not adverse, else overdue to the lead (and CEO on red)."""
    rem = tick(new(), HEATMAP, SCRIPT, SCAN) if all_done else tick(new(), HEATMAP)
    after, effects = fire(
        rem, timer(rem, "close_out"), now=rem.due_at, metric_adverse=adverse, band=band
    )
    assert (after.status, after.closed_at, after.closed_by) == (status, rem.due_at, None)
    close = effects[0]
    assert isinstance(close, PostCloseOut)
    assert close.outcome == status
    assert effects[1:] == escalations
    assert due_timers(after, now=after.due_at + H) == []


@pytest.mark.parametrize(
    ("user", "is_admin", "allowed"),
    [(OWNER, False, True), (LEAD, False, True), (ADMIN, True, True), (OTHER, False, False)],
    ids=["owner", "lead", "admin", "other-refused"],
)
def test_resolve_early(user: str, is_admin: bool, allowed: bool) -> None:
    """Owner, lead or admin may close early as resolved; anyone else is refused."""
    rem = new()
    if not allowed:
        with pytest.raises(PermissionDeniedError):
            resolve(rem, user_id=user, is_admin=is_admin, now=T0 + H, metric_adverse=True)
        return
    after, effects = resolve(rem, user_id=user, is_admin=is_admin, now=T0 + H, metric_adverse=False)
    assert (after.status, after.closed_at, after.closed_by) == ("resolved", T0 + H, user)
    assert [type(e) for e in effects] == [PostCloseOut, RedrawChecklist]
    assert isinstance(effects[0], PostCloseOut)
    assert effects[0].outcome == "resolved_early"
    assert effects[0].summary == "Resolved early: 0/3 items done; metric no longer adverse."
    assert (due_timers(after, now=T0 + 80 * H), time_left(after, T0 + 2 * H)) == ([], 0 * H)


@pytest.mark.parametrize(
    "action",
    ["tick", "assign", "resolve", "reminder", "close_out"],
    ids=["tick", "assign", "resolve", "reminder", "close-out"],
)
def test_actions_after_close_are_ignored(action: str) -> None:
    """Once closed, clicks, resolves and timers change nothing and produce no effects."""
    rem = new()
    reminder, close_out = timer(rem, "reminder_24h"), timer(rem, "close_out")
    closed, _ = resolve(rem, user_id=OWNER, is_admin=False, now=T0 + H, metric_adverse=False)
    now = T0 + 80 * H
    if action == "tick":
        result = toggle_item(closed, item_key=SCAN, done=True, user_id=OWNER, now=now)
    elif action == "assign":
        result = assign(closed, item_key=SCAN, owner_id=LEAD, user_id=OWNER, now=now)
    elif action == "resolve":
        result = resolve(closed, user_id=LEAD, is_admin=False, now=now, metric_adverse=False)
    else:
        chosen = reminder if action == "reminder" else close_out
        result = fire(closed, chosen, now=now, metric_adverse=True, band="red")
    assert result == (closed, [])


@pytest.mark.parametrize(
    ("offset", "kinds"),
    [
        (24 * H - timedelta(seconds=1), []),
        (24 * H, ["reminder_24h"]),
        (48 * H, ["reminder_24h", "reminder_48h"]),
        (72 * H - timedelta(microseconds=1), ["reminder_24h", "reminder_48h"]),
        (72 * H, ["reminder_24h", "reminder_48h", "close_out"]),
    ],
    ids=["just-before-24h", "exactly-24h", "exactly-48h", "just-before-72h", "exactly-72h"],
)
def test_timers_due_at_boundary(offset: timedelta, kinds: list[str]) -> None:
    """Due means `due_at <= now`: the exact boundary counts and a missed tick catches up."""
    timers = due_timers(new(), now=T0 + offset)
    assert [t.kind for t in timers] == kinds
    assert all(t.due_at <= T0 + offset for t in timers)


def test_run_keys_unique_per_remediation() -> None:
    """Run keys name the goal and the opening time, so a reopened remediation gets fresh keys."""
    first = [t.run_key for t in due_timers(new(), now=T0 + 72 * H)]
    later = open_remediation(
        goal_id="g1", trigger="trend", owner_id=OWNER, lead_id=LEAD, now=T0 + 100 * H
    )
    second = [t.run_key for t in due_timers(later, now=T0 + 172 * H)]
    assert first[0] == f"reminder:g1:{T0.isoformat()}:24h"
    assert len(set(first + second)) == 6


@pytest.mark.parametrize(
    ("kind", "band"),
    [("reminder_24h", "orange"), ("reminder_48h", "orange"), ("close_out", "red")],
    ids=["reminder-24h", "reminder-48h", "close-out"],
)
def test_firing_twice_is_harmless(kind: str, band: str) -> None:
    """Firing the same timer a second time changes nothing and emits nothing."""
    rem = new()
    once, effects = fire(rem, timer(rem, kind), now=rem.due_at, metric_adverse=True, band=band)
    assert effects
    assert timer(rem, kind) not in due_timers(once, now=rem.due_at)
    assert fire(once, timer(rem, kind), now=rem.due_at, metric_adverse=True, band=band) == (
        once,
        [],
    )


def test_timer_not_yet_due_is_ignored() -> None:
    """A timer handed in before its due time does nothing."""
    rem = new()
    assert fire(rem, timer(rem, "close_out"), now=T0 + H, metric_adverse=True, band="red") == (
        rem,
        [],
    )
