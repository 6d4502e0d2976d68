"""The episode escalation state machine: transitions, repeats, quiet hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from jobs.escalation.episode import (
    Effect,
    Episode,
    EscalationPolicy,
    MarkRecovered,
    NoteInThread,
    NotifyCeo,
    NotifyLead,
    OpenRemediation,
    acknowledge,
    deliver_at,
    repeat_hold,
    snooze,
    step,
)
from storage.models import Band

GOAL = 7
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
POLICY = EscalationPolicy()
TWICE = EscalationPolicy(recover_after=2)


def _episode(band: Band, *, peak: Band | None = None, policy: EscalationPolicy = POLICY) -> Episode:
    return Episode(GOAL, opened_at=T0, current_band=band, peak_band=peak or band, policy=policy)


# (episode before, [(band, trend_alert), ...], the effects expected after each evaluation)
STEP_CASES: list[tuple[Episode | None, list[tuple[Band, bool]], list[list[Effect]]]] = [
    (
        None,
        [(Band.ORANGE, False)],
        [[NotifyLead(GOAL, Band.ORANGE, "opened"), OpenRemediation(GOAL, "orange")]],
    ),
    (
        None,
        [(Band.RED, True)],
        [
            [
                NotifyLead(GOAL, Band.RED, "opened"),
                NotifyCeo(GOAL, Band.RED, "opened"),
                OpenRemediation(GOAL, "red"),
            ]
        ],
    ),
    (
        _episode(Band.ORANGE),
        [(Band.RED, False)],
        [[NotifyLead(GOAL, Band.RED, "rose"), NotifyCeo(GOAL, Band.RED, "rose")]],
    ),
    (_episode(Band.RED), [(Band.ORANGE, False)], [[NoteInThread(GOAL, "band_fell")]]),
    (_episode(Band.RED), [(Band.RED, True)], [[]]),
    (
        _episode(Band.ORANGE),
        [(Band.YELLOW, False)],
        [[NoteInThread(GOAL, "recovered"), MarkRecovered(GOAL)]],
    ),
    (
        _episode(Band.ORANGE, policy=TWICE),
        [(Band.GREEN, False), (Band.YELLOW, False)],
        [[], [NoteInThread(GOAL, "recovered"), MarkRecovered(GOAL)]],
    ),
    (
        _episode(Band.ORANGE, policy=TWICE),
        [(Band.GREEN, False), (Band.ORANGE, False), (Band.GREEN, False)],
        [[], [], []],
    ),
    (_episode(Band.RED), [(Band.NO_DATA, False), (Band.INVALID, True)], [[], []]),
    (None, [(Band.GREEN, True)], [[OpenRemediation(GOAL, "trend")]]),
    (None, [(Band.YELLOW, False), (Band.NO_DATA, False)], [[], []]),
]


@pytest.mark.parametrize(
    ("episode", "evaluations", "expected"),
    STEP_CASES,
    ids=[
        "open-on-orange",
        "open-on-red-trend-folded-in",
        "rise-orange-to-red",
        "fall-red-to-orange",
        "steady-red",
        "recover-after-1",
        "recover-after-2",
        "recover-streak-reset-by-relapse",
        "no-data-and-invalid-keep-state",
        "trend-only-remediation",
        "quiet-goal-no-effects",
    ],
)
def test_step_effects(
    episode: Episode | None,
    evaluations: list[tuple[Band, bool]],
    expected: list[list[Effect]],
) -> None:
    """Each evaluation yields exactly the effects the escalation rules prescribe."""
    state = episode
    for index, ((band, trend), effects) in enumerate(zip(evaluations, expected, strict=True)):
        now = T0 + timedelta(days=index + 1)
        state, got = step(state, goal_id=GOAL, band=band, trend_alert=trend, now=now, policy=POLICY)
        assert got == effects


def test_step_state_tracks_bands_and_closes() -> None:
    """Current and peak band follow the evaluations; recovery closes; a closed episode reopens."""
    state, _ = step(None, goal_id=GOAL, band=Band.RED, trend_alert=False, now=T0, policy=TWICE)
    assert state == _episode(Band.RED, policy=TWICE)
    later = T0 + timedelta(days=1)
    state, _ = step(
        state, goal_id=GOAL, band=Band.ORANGE, trend_alert=False, now=later, policy=POLICY
    )
    assert state is not None
    assert (state.current_band, state.peak_band, state.policy) == (Band.ORANGE, Band.RED, TWICE)
    state, _ = step(
        state, goal_id=GOAL, band=Band.NO_DATA, trend_alert=False, now=later, policy=POLICY
    )
    assert state is not None
    assert state.current_band is Band.ORANGE
    for _ in range(2):
        state, _ = step(
            state, goal_id=GOAL, band=Band.GREEN, trend_alert=False, now=later, policy=POLICY
        )
    assert state is not None
    assert state.closed_at == later
    assert not state.is_open
    reopened, effects = step(
        state, goal_id=GOAL, band=Band.ORANGE, trend_alert=False, now=later, policy=POLICY
    )
    assert reopened is not None
    assert reopened.opened_at == later
    assert reopened.is_open
    assert effects[0] == NotifyLead(GOAL, Band.ORANGE, "opened")


def test_trend_alert_without_episode_opens_none() -> None:
    """A trend alert on a green goal opens a remediation but no episode."""
    state, _ = step(None, goal_id=GOAL, band=Band.GREEN, trend_alert=True, now=T0, policy=POLICY)
    assert state is None


def test_acknowledge_once() -> None:
    """The first acknowledgement is kept and noted; a second one changes nothing."""
    first, effects = acknowledge(_episode(Band.ORANGE), user_id="U1", now=T0)
    assert (first.acknowledged_by, first.acknowledged_at) == ("U1", T0)
    assert effects == [NoteInThread(GOAL, "acknowledged")]
    second, again = acknowledge(first, user_id="U2", now=T0 + timedelta(hours=1))
    assert (second, again) == (first, [])


def test_snooze_sets_until_and_rejects_past() -> None:
    """Snooze records its end; an end not in the future is refused."""
    snoozed, effects = snooze(_episode(Band.RED), until=T0 + timedelta(hours=3), now=T0)
    assert (snoozed.snoozed_until, effects) == (T0 + timedelta(hours=3), [])
    with pytest.raises(ValueError, match="future"):
        snooze(_episode(Band.RED), until=T0, now=T0)


OPEN = _episode(Band.ORANGE)
DAY = timedelta(hours=24)
PING_CASES = [
    (OPEN, 1, T0 + DAY - timedelta(seconds=1), False),
    (OPEN, 1, T0 + DAY, True),
    (OPEN, 5, T0 + DAY, True),
    (OPEN, 6, T0 + DAY, False),
    (replace(OPEN, acknowledged_by="U1", acknowledged_at=T0), 1, T0 + DAY, False),
    (replace(OPEN, snoozed_until=T0 + 2 * DAY), 1, T0 + DAY, False),
    (replace(OPEN, snoozed_until=T0 + DAY), 1, T0 + DAY, True),
    (replace(OPEN, closed_at=T0), 1, T0 + DAY, False),
]


@pytest.mark.parametrize(
    ("episode", "pings_sent", "now", "expected"),
    PING_CASES,
    ids=[
        "a-second-early",
        "on-cadence",
        "fifth-repeat-allowed",
        "cap-after-first-plus-five",
        "acknowledged",
        "snoozed",
        "snooze-ended",
        "closed",
    ],
)
def test_pings_due(episode: Episode, pings_sent: int, now: datetime, expected: bool) -> None:
    """Repeats follow the 24h cadence, stop at 1 + 5 pings, and respect ack and snooze."""
    hold = repeat_hold(episode, last_ping_at=T0, pings_sent=pings_sent, now=now, policy=POLICY)
    due = hold is None
    assert due is expected


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


DAYTIME = EscalationPolicy(quiet_start=time(1, 0), quiet_end=time(5, 0))
QUIET_CASES = [
    ("Europe/Berlin", _utc(2024, 1, 15, 12, 0), POLICY, _utc(2024, 1, 15, 12, 0)),
    ("Europe/Berlin", _utc(2024, 1, 15, 19, 59), POLICY, _utc(2024, 1, 15, 19, 59)),
    ("Europe/Berlin", _utc(2024, 1, 15, 20, 0), POLICY, _utc(2024, 1, 16, 7, 0)),
    ("Europe/Berlin", _utc(2024, 1, 15, 2, 0), POLICY, _utc(2024, 1, 15, 7, 0)),
    ("Europe/Berlin", _utc(2024, 1, 15, 7, 0), POLICY, _utc(2024, 1, 15, 7, 0)),
    ("Europe/Berlin", _utc(2024, 3, 30, 22, 0), POLICY, _utc(2024, 3, 31, 6, 0)),
    ("Europe/Berlin", _utc(2024, 10, 26, 20, 0), POLICY, _utc(2024, 10, 27, 7, 0)),
    ("America/New_York", _utc(2024, 1, 16, 3, 0), POLICY, _utc(2024, 1, 16, 13, 0)),
    ("Asia/Tokyo", _utc(2024, 1, 15, 17, 0), DAYTIME, _utc(2024, 1, 15, 20, 0)),
    ("Asia/Tokyo", _utc(2024, 1, 15, 12, 0), DAYTIME, _utc(2024, 1, 15, 12, 0)),
]


@pytest.mark.parametrize(
    ("tz", "now", "policy", "expected"),
    QUIET_CASES,
    ids=[
        "berlin-midday-immediate",
        "berlin-a-minute-before-quiet",
        "berlin-quiet-starts-defer-to-next-morning",
        "berlin-after-midnight-defer-same-morning",
        "berlin-quiet-ends-immediate",
        "berlin-spring-forward-night",
        "berlin-fall-back-night",
        "new-york-evening",
        "tokyo-window-not-crossing-midnight",
        "tokyo-outside-window",
    ],
)
def test_deliver_at(tz: str, now: datetime, policy: EscalationPolicy, expected: datetime) -> None:
    """DMs in the recipient's quiet hours wait for the local quiet end, across midnight and DST."""
    assert deliver_at(now, recipient_tz=tz, policy=policy) == expected


def test_naive_datetime_rejected() -> None:
    """A naive `now` is a bug, not local time."""
    with pytest.raises(ValueError, match="timezone-aware"):
        deliver_at(datetime(2024, 1, 15, 12, 0), recipient_tz="UTC", policy=POLICY)  # noqa: DTZ001
