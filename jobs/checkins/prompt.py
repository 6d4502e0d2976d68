"""One check-in prompt — a (goal, owner, slot) — as a pure state machine.

No I/O, no clock: the events take `now`. A prompt is asked, reminded once, and ends answered,
missed, undeliverable (the chat platform refused the owner for good) or cancelled (the goal was
paused or removed). Every prompt ends: once `close_after` has passed, an open prompt is missed.
Final states take no further events, with one exception: a late answer to a missed prompt is
kept (missed → answered, `late=True`), never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

State = Literal["asked", "reminded", "answered", "missed", "undeliverable", "cancelled"]
FINAL: frozenset[str] = frozenset({"answered", "missed", "undeliverable", "cancelled"})
OPEN: frozenset[str] = frozenset({"asked", "reminded"})


@dataclass(frozen=True)
class PromptTiming:
    """When an unanswered prompt is reminded, then recorded missed, counted from asking."""

    remind_after: timedelta = timedelta(hours=4)  # one reminder this long after asking
    close_after: timedelta = timedelta(hours=24)  # then recorded missed this long after asking

    def __post_init__(self) -> None:
        # The reminder comes before the close, both after asking.
        if not timedelta(0) < self.remind_after < self.close_after:
            raise ValueError("need 0 < remind_after < close_after")


@dataclass(frozen=True)
class Prompt:
    """A prompt's state and when it was (or is to be) sent: ask_at(slot) in cadence.py."""

    state: State
    asked_at: datetime

    def __post_init__(self) -> None:
        if self.state not in get_args(State):
            raise ValueError(f"unknown prompt state {self.state!r}")
        _require_aware(asked_at=self.asked_at)


@dataclass(frozen=True)
class Transition:
    """The state after an event; `changed` is False when the event changed nothing."""

    state: State
    changed: bool
    late: bool = False  # an answer after the prompt was recorded missed


def on_answer(p: Prompt, now: datetime) -> Transition:
    """Answered from asked, reminded or (late) missed; a repeat answer changes no state."""
    _require_aware(now=now)
    if p.state in OPEN:
        return Transition("answered", changed=True)
    if p.state == "missed":
        return Transition("answered", changed=True, late=True)
    return _unchanged(p)  # answered again (the record is updated), undeliverable, cancelled


def on_remind_due(p: Prompt, now: datetime, t: PromptTiming) -> Transition:
    """Reminded when still only asked and the reminder is due; otherwise unchanged."""
    _require_aware(now=now)
    if p.state == "asked" and now >= reminder_due_at(p, t):
        return Transition("reminded", changed=True)
    return _unchanged(p)


def on_close_due(p: Prompt, now: datetime, t: PromptTiming) -> Transition:
    """Missed when still open and the close is due; otherwise unchanged."""
    _require_aware(now=now)
    if p.state in OPEN and now >= close_due_at(p, t):
        return Transition("missed", changed=True)
    return _unchanged(p)


def on_undeliverable(p: Prompt) -> Transition:
    """Undeliverable from any open state; a final prompt stays as it is."""
    return Transition("undeliverable", changed=True) if p.state in OPEN else _unchanged(p)


def on_cancel(p: Prompt) -> Transition:
    """Cancelled from any open state; a final prompt stays as it is."""
    return Transition("cancelled", changed=True) if p.state in OPEN else _unchanged(p)


def reminder_due_at(p: Prompt, t: PromptTiming) -> datetime:
    """When the one reminder falls due: asked_at + remind_after."""
    return p.asked_at + t.remind_after


def close_due_at(p: Prompt, t: PromptTiming) -> datetime:
    """When an unanswered prompt is recorded missed: asked_at + close_after."""
    return p.asked_at + t.close_after


def _unchanged(p: Prompt) -> Transition:
    return Transition(p.state, changed=False)


def _require_aware(**values: datetime) -> None:
    for name, value in values.items():
        if value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
