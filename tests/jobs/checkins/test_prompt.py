"""The check-in prompt's state machine: every state × event, and every prompt ends."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from jobs.checkins.prompt import (
    FINAL,
    Prompt,
    PromptTiming,
    State,
    Transition,
    close_due_at,
    on_answer,
    on_cancel,
    on_close_due,
    on_remind_due,
    on_undeliverable,
    reminder_due_at,
)

T0 = datetime(2024, 3, 11, 9, 0, tzinfo=UTC)
TIMING = PromptTiming()  # remind after 4 h, missed after 24 h
SECOND = timedelta(seconds=1)
STATES: tuple[State, ...] = get_args(State)

Event = Callable[[Prompt], Transition]
EVENTS: dict[str, Event] = {
    "answer": lambda p: on_answer(p, T0 + timedelta(hours=1)),
    "remind-early": lambda p: on_remind_due(p, T0 + timedelta(hours=4) - SECOND, TIMING),
    "remind-due": lambda p: on_remind_due(p, T0 + timedelta(hours=4), TIMING),
    "close-early": lambda p: on_close_due(p, T0 + timedelta(hours=24) - SECOND, TIMING),
    "close-due": lambda p: on_close_due(p, T0 + timedelta(hours=24), TIMING),
    "undeliverable": on_undeliverable,
    "cancel": on_cancel,
}

# state → event → (state after, changed, late); events not listed leave the state unchanged.
MOVES: dict[str, dict[str, tuple[State, bool, bool]]] = {
    "asked": {
        "answer": ("answered", True, False),
        "remind-due": ("reminded", True, False),
        "close-due": ("missed", True, False),
        "undeliverable": ("undeliverable", True, False),
        "cancel": ("cancelled", True, False),
    },
    "reminded": {
        "answer": ("answered", True, False),
        "close-due": ("missed", True, False),
        "undeliverable": ("undeliverable", True, False),
        "cancel": ("cancelled", True, False),
    },
    "missed": {"answer": ("answered", True, True)},  # a late answer is kept
    "answered": {},
    "undeliverable": {},
    "cancelled": {},
}


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        pytest.param(
            state,
            event,
            MOVES[state].get(event, (state, False, False)),
            id=f"{state}-{event}",
        )
        for state in STATES
        for event in EVENTS
    ],
)
def test_every_state_and_event(
    state: State, event: str, expected: tuple[State, bool, bool]
) -> None:
    """Each event moves only the states it is for, and only once it is due."""
    after, changed, late = expected
    assert EVENTS[event](Prompt(state, T0)) == Transition(after, changed=changed, late=late)


def _run(state: State, events: tuple[str, ...]) -> State:
    prompt = Prompt(state, T0)
    for name in events:
        transition = EVENTS[name](prompt)
        # `changed` says exactly whether the state moved; `late` only for a missed prompt.
        assert transition.changed == (transition.state != prompt.state)
        assert transition.late == (prompt.state == "missed" and transition.state == "answered")
        if prompt.state in FINAL:
            # A final state stays final; only a late answer moves it.
            assert transition.state in FINAL
            assert not transition.changed or transition.late
        prompt = Prompt(transition.state, T0)
    return prompt.state


@pytest.mark.parametrize("state", STATES)
def test_every_prompt_ends(state: State) -> None:
    """After any sequence of up to four events, the close once due leaves a final state."""
    for length in range(5):
        for events in itertools.product(EVENTS, repeat=length):
            assert _run(state, (*events, "close-due")) in FINAL, events


@pytest.mark.parametrize("state", ["asked", "reminded"])
def test_timer_alone_ends_an_unanswered_prompt(state: State) -> None:
    """Ticking every 10 minutes: reminded at 4 h (if asked), missed exactly at 24 h."""
    prompt, seen = Prompt(state, T0), []
    now = T0
    while prompt.state not in FINAL:
        now += timedelta(minutes=10)
        for step in (on_remind_due, on_close_due):
            transition = step(prompt, now, TIMING)
            if transition.changed:
                seen.append((transition.state, now - T0))
                prompt = Prompt(transition.state, prompt.asked_at)
    expected = [("reminded", timedelta(hours=4))] if state == "asked" else []
    assert seen == [*expected, ("missed", timedelta(hours=24))]


def test_due_times() -> None:
    """Reminder and close are counted from when the prompt was asked."""
    prompt = Prompt("asked", T0)
    short = PromptTiming(remind_after=timedelta(hours=1), close_after=timedelta(hours=2))
    assert reminder_due_at(prompt, TIMING) == T0 + timedelta(hours=4)
    assert close_due_at(prompt, TIMING) == T0 + timedelta(hours=24)
    assert reminder_due_at(prompt, short) == T0 + timedelta(hours=1)
    assert on_close_due(prompt, T0 + timedelta(hours=2), short).state == "missed"


@pytest.mark.parametrize(
    ("remind", "close"),
    [
        pytest.param(timedelta(0), timedelta(hours=24), id="remind-zero"),
        pytest.param(timedelta(hours=-1), timedelta(hours=24), id="remind-negative"),
        pytest.param(timedelta(hours=24), timedelta(hours=24), id="remind-equals-close"),
        pytest.param(timedelta(hours=25), timedelta(hours=24), id="remind-after-close"),
    ],
)
def test_timing_invariant(remind: timedelta, close: timedelta) -> None:
    """The reminder must come after asking and before the prompt closes."""
    with pytest.raises(ValueError, match="remind_after < close_after"):
        PromptTiming(remind_after=remind, close_after=close)


def test_bad_prompts_rejected() -> None:
    """A naive time or an unknown state is a bug, refused at once."""
    naive = datetime(2024, 3, 11, 9, 0)  # noqa: DTZ001 - the naive input under test
    with pytest.raises(ValueError, match="timezone-aware"):
        Prompt("asked", naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        on_answer(Prompt("asked", T0), naive)
    with pytest.raises(ValueError, match="unknown prompt state"):
        Prompt("sent", T0)  # type: ignore[arg-type]
