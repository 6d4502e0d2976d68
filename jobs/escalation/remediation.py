"""The 72-hour remediation lifecycle (docs/architecture.md, "Remediation"), as pure functions.

No I/O, no Slack, no database: every function takes `now`, returns the new (frozen) state and a
list of typed effects that the caller carries out later (redraw the checklist, post, DM).
Timers follow the outbox contract: work is due when `due_at <= now` and not yet done, and each
unit of work carries a run key unique to this remediation, so a caller can claim it exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from jobs.errors import NotFoundError, PermissionDeniedError, Typed, phrase
from jobs.i18n import N_, _

# Stored in English as the checklist's titles; translated where they are shown (`_(title)`).
DEFAULT_ITEMS = (
    N_("Behaviour heatmap review"),
    N_("Customer-service script A/B test"),
    N_("Competitor scan"),
)
# Slack shows at most 10 checkboxes in one group: a checklist never has more items.
MAX_ITEMS = 10
DURATION = timedelta(hours=72)

Trigger = Literal["trend", "orange", "red"]
Status = Literal["open", "resolved", "overdue"]
ReminderKind = Literal["24h", "48h"]
TimerKind = Literal["reminder_24h", "reminder_48h", "close_out"]
Outcome = Literal["resolved_early", "resolved", "overdue"]

_REMINDERS: tuple[tuple[TimerKind, ReminderKind, timedelta], ...] = (
    ("reminder_24h", "24h", timedelta(hours=24)),
    ("reminder_48h", "48h", timedelta(hours=48)),
)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    owner_id: str
    done_by: str | None = None
    done_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True)
class Remediation:
    goal_id: str
    trigger: Trigger
    opened_at: datetime
    due_at: datetime
    items: tuple[ChecklistItem, ...]
    owner_id: str
    lead_id: str | None
    status: Status = "open"
    closed_at: datetime | None = None
    closed_by: str | None = None
    reminders_sent: tuple[ReminderKind, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    due_at: datetime
    run_key: str


@dataclass(frozen=True)
class RedrawChecklist:
    goal_id: str


@dataclass(frozen=True)
class PostCloseOut:
    goal_id: str
    outcome: Outcome
    summary: str


@dataclass(frozen=True)
class RemindOwners:
    goal_id: str
    user_ids: tuple[str, ...]
    kind: ReminderKind


@dataclass(frozen=True)
class EscalateToLead:
    goal_id: str


@dataclass(frozen=True)
class EscalateToCeo:
    goal_id: str


Effect = RedrawChecklist | PostCloseOut | RemindOwners | EscalateToLead | EscalateToCeo


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware")


def _slug(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "item"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


def open_remediation(
    *,
    goal_id: str,
    trigger: Trigger,
    owner_id: str,
    lead_id: str | None,
    now: datetime,
    first_items: Sequence[str] = (),
    extra_items: Sequence[str] = (),
) -> Remediation:
    """A new open remediation: `first_items` (a tier's treatment), the default items, then the
    workspace's extras, all owned by the goal owner.

    A title appears once (ignoring case), where it first comes; past MAX_ITEMS the last titles
    are left off.
    """
    _require_aware(now)
    taken: set[str] = set()
    items = tuple(
        ChecklistItem(key=_slug(title, taken), title=title, owner_id=owner_id)
        for title in _titles((*first_items, *DEFAULT_ITEMS, *extra_items))
    )
    return Remediation(
        goal_id=goal_id,
        trigger=trigger,
        opened_at=now,
        due_at=now + DURATION,
        items=items,
        owner_id=owner_id,
        lead_id=lead_id,
    )


def _titles(titles: Sequence[str]) -> list[str]:
    """Each title once, the first time it comes (ignoring case), at most MAX_ITEMS of them."""
    seen: dict[str, str] = {}
    for title in titles:
        seen.setdefault(title.casefold(), title)
    return list(seen.values())[:MAX_ITEMS]


def item_named(rem: Remediation, item_key: str) -> ChecklistItem:
    """The checklist's item under `item_key`; NotFoundError when it has none."""
    item = next((item for item in rem.items if item.key == item_key), None)
    if item is None:
        raise NotFoundError(*phrase(_("This checklist has no item {item}."), item=Typed(item_key)))
    return item


def _find(rem: Remediation, item_key: str) -> int:
    for i, item in enumerate(rem.items):
        if item.key == item_key:
            return i
    raise NotFoundError(
        *phrase(_("This remediation has no checklist item {item}."), item=repr(item_key))
    )


def _with_item(rem: Remediation, index: int, item: ChecklistItem) -> Remediation:
    return replace(rem, items=(*rem.items[:index], item, *rem.items[index + 1 :]))


def toggle_item(
    rem: Remediation, *, item_key: str, done: bool, user_id: str, now: datetime
) -> tuple[Remediation, list[Effect]]:
    """Tick or untick an item; repeating the current state, or acting after close, is a no-op."""
    if not rem.is_open:
        return rem, []
    index = _find(rem, item_key)
    item = rem.items[index]
    if item.done == done:
        return rem, []
    updated = (
        replace(item, done_by=user_id, done_at=now)
        if done
        else replace(item, done_by=None, done_at=None)
    )
    return _with_item(rem, index, updated), [RedrawChecklist(rem.goal_id)]


def assign_item(
    rem: Remediation, *, item_key: str, owner_id: str, user_id: str, now: datetime
) -> tuple[Remediation, list[Effect]]:
    """Give an item a new owner; same owner again, or acting after close, is a no-op."""
    del user_id, now  # part of the action's signature; the caller audits who did it and when
    if not rem.is_open:
        return rem, []
    index = _find(rem, item_key)
    item = rem.items[index]
    if item.owner_id == owner_id:
        return rem, []
    return _with_item(rem, index, replace(item, owner_id=owner_id)), [RedrawChecklist(rem.goal_id)]


def progress(rem: Remediation) -> tuple[int, int]:
    """(items done, items in total)."""
    return sum(item.done for item in rem.items), len(rem.items)


def time_left(rem: Remediation, now: datetime) -> timedelta:
    """Time until the close-out, never negative (zero once closed)."""
    if not rem.is_open:
        return timedelta(0)
    return max(rem.due_at - now, timedelta(0))


def may_resolve(rem: Remediation, user_id: str, *, is_admin: bool) -> bool:
    """The goal owner, the lead, or a workspace admin may resolve early."""
    return is_admin or user_id in (rem.owner_id, rem.lead_id)


# The close-out summary as stored (in English, the same for every reader): `Resolved early:
# 2/3 items done; metric still adverse.` summary_facts reads it back for a reader's language.
SUMMARY_OPENINGS: dict[Outcome, str] = {
    "resolved_early": "Resolved early",
    "resolved": "Resolved",
    "overdue": "Overdue",
}
_SUMMARY = re.compile(
    r"(?P<opening>Resolved early|Resolved|Overdue): (?P<done>\d+)/(?P<total>\d+) items done; "
    r"metric (?P<metric>still|no longer) adverse\."
)


@dataclass(frozen=True)
class SummaryFacts:
    """What a stored close-out summary says."""

    outcome: Outcome
    done: int
    total: int
    metric_adverse: bool


def summary_facts(summary: str) -> SummaryFacts | None:
    """The facts of a summary this module wrote; None for any other text."""
    found = _SUMMARY.fullmatch(summary.strip())
    if found is None:
        return None
    outcome = next(o for o, text in SUMMARY_OPENINGS.items() if text == found["opening"])
    return SummaryFacts(
        outcome, int(found["done"]), int(found["total"]), found["metric"] == "still"
    )


def _summary(rem: Remediation, *, outcome: Outcome, metric_adverse: bool) -> str:
    done, total = progress(rem)
    metric = "still adverse" if metric_adverse else "no longer adverse"
    return f"{SUMMARY_OPENINGS[outcome]}: {done}/{total} items done; metric {metric}."


def resolve(
    rem: Remediation, *, user_id: str, is_admin: bool, now: datetime, metric_adverse: bool
) -> tuple[Remediation, list[Effect]]:
    """Close early as resolved (owner, lead or admin only); a closed remediation stays as it is."""
    if not may_resolve(rem, user_id, is_admin=is_admin):
        raise PermissionDeniedError(
            _("Only the goal owner, the lead or an admin can resolve this.")
        )
    if not rem.is_open:
        return rem, []
    closed = replace(rem, status="resolved", closed_at=now, closed_by=user_id)
    summary = _summary(closed, outcome="resolved_early", metric_adverse=metric_adverse)
    return closed, [
        PostCloseOut(rem.goal_id, outcome="resolved_early", summary=summary),
        RedrawChecklist(rem.goal_id),
    ]


def _timers(rem: Remediation) -> list[Timer]:
    stem = f"{rem.goal_id}:{rem.opened_at.isoformat()}"
    timers = [
        Timer(timer_kind, rem.opened_at + offset, f"reminder:{stem}:{kind}")
        for timer_kind, kind, offset in _REMINDERS
    ]
    return [*timers, Timer("close_out", rem.due_at, f"close_out:{stem}")]


def _reminder_kind(timer: Timer) -> ReminderKind | None:
    return next(
        (kind for timer_kind, kind, _offset in _REMINDERS if timer_kind == timer.kind), None
    )


def _is_done(rem: Remediation, timer: Timer) -> bool:
    if not rem.is_open:
        return True
    return _reminder_kind(timer) in rem.reminders_sent


def due_timers(rem: Remediation, *, now: datetime) -> list[Timer]:
    """Timers with `due_at <= now` not yet done, oldest first (a missed tick catches up once)."""
    return [t for t in _timers(rem) if t.due_at <= now and not _is_done(rem, t)]


def _unchecked_owners(rem: Remediation) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item.owner_id for item in rem.items if not item.done))


def fire(
    rem: Remediation, timer: Timer, *, now: datetime, metric_adverse: bool, band: str
) -> tuple[Remediation, list[Effect]]:
    """Carry out one due timer; a timer not due, foreign, or already done is a no-op."""
    if timer not in _timers(rem) or timer.due_at > now or _is_done(rem, timer):
        return rem, []
    kind = _reminder_kind(timer)
    if kind is not None:
        rem = replace(rem, reminders_sent=(*rem.reminders_sent, kind))
        owners = _unchecked_owners(rem)
        return rem, [RemindOwners(rem.goal_id, user_ids=owners, kind=kind)] if owners else []
    done, total = progress(rem)
    if done == total and not metric_adverse:
        closed = replace(rem, status="resolved", closed_at=now)
        summary = _summary(closed, outcome="resolved", metric_adverse=metric_adverse)
        return closed, [PostCloseOut(rem.goal_id, outcome="resolved", summary=summary)]
    closed = replace(rem, status="overdue", closed_at=now)
    summary = _summary(closed, outcome="overdue", metric_adverse=metric_adverse)
    effects: list[Effect] = [
        PostCloseOut(rem.goal_id, outcome="overdue", summary=summary),
        EscalateToLead(rem.goal_id),
    ]
    if band == "red":
        effects.append(EscalateToCeo(rem.goal_id))
    return closed, effects
