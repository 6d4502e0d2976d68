"""Episode escalation as a pure state machine (docs/architecture.md, "Escalation").

No I/O, no clock: every function takes `now` and returns the new state plus the effects the
caller must carry out (DMs, thread notes, remediations). Claiming and sending them exactly once
is the caller's job (the outbox). All datetimes must be timezone-aware.

Readings of the design:
- The policy is snapshotted into the episode when it opens; later steps use the snapshot.
- A closed episode is returned (with `closed_at`) so it can be stored; `step` treats a closed
  episode like no episode.
- A rise notifies the new audience even when acknowledged or snoozed: acknowledgement stops
  repeats and snooze mutes repeats, neither hides a new, worse band.
- `no_data`/`invalid` neither worsen nor heal an episode and leave the recovery streak as is.
- A trend alert only opens a remediation when no episode is open (one remediation per goal);
  when the same evaluation opens an episode, its orange/red remediation stands for both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from storage.models import Band

NoteKind = Literal["band_fell", "acknowledged", "recovered"]
Trigger = Literal["orange", "red", "trend"]

_RANK = {Band.GREEN: 0, Band.YELLOW: 1, Band.ORANGE: 2, Band.RED: 3}
_ALERT = 2  # orange and above open or keep an episode


@dataclass(frozen=True)
class EscalationPolicy:
    """How loudly and how often an episode escalates; the defaults are the playbook's."""

    repeat_every: timedelta = timedelta(hours=24)
    max_repeats: int = 5  # repeats after the first ping
    quiet_start: time = time(21, 0)  # recipient's local time
    quiet_end: time = time(8, 0)
    recover_after: int = 1  # consecutive green/yellow evaluations needed to close


@dataclass(frozen=True)
class Episode:
    """One goal's stay in orange/red, from the first breach to recovery."""

    goal_id: int
    opened_at: datetime
    current_band: Band
    peak_band: Band
    policy: EscalationPolicy
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    snoozed_until: datetime | None = None
    good_streak: int = 0
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """True until the goal has recovered."""
        return self.closed_at is None


@dataclass(frozen=True)
class NotifyLead:
    """DM the goal's lead (fallback: the channel's lead) and mention them in the thread."""

    goal_id: int
    band: Band
    reason: str


@dataclass(frozen=True)
class NotifyCeo:
    """DM the CEO with the numbers and a link to the thread."""

    goal_id: int
    band: Band
    reason: str


@dataclass(frozen=True)
class NoteInThread:
    """Post a note of the given kind in the episode's thread."""

    goal_id: int
    text_kind: NoteKind


@dataclass(frozen=True)
class MarkRecovered:
    """Edit the episode's parent message to say the goal has recovered."""

    goal_id: int


@dataclass(frozen=True)
class OpenRemediation:
    """Open the 72-hour remediation thread for the goal."""

    goal_id: int
    trigger: Trigger


Effect = NotifyLead | NotifyCeo | NoteInThread | MarkRecovered | OpenRemediation


def _require_aware(**values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")


def step(
    episode: Episode | None,
    *,
    goal_id: int,
    band: Band,
    trend_alert: bool,
    now: datetime,
    policy: EscalationPolicy,
) -> tuple[Episode | None, list[Effect]]:
    """Advance the goal's episode by one evaluation; `policy` only applies to a new episode."""
    _require_aware(now=now)
    if episode is not None and episode.goal_id != goal_id:
        raise ValueError(f"episode is for goal {episode.goal_id}, not {goal_id}")
    if episode is None or not episode.is_open:
        return _maybe_open(episode, goal_id, band, trend_alert, now, policy)
    rank = _RANK.get(band)
    if rank is None:  # no_data / invalid: nothing known, nothing changes
        return episode, []
    if rank < _ALERT:
        streak = episode.good_streak + 1
        if streak < episode.policy.recover_after:
            return replace(episode, good_streak=streak), []
        closed = replace(episode, good_streak=streak, current_band=band, closed_at=now)
        return closed, [NoteInThread(goal_id, "recovered"), MarkRecovered(goal_id)]
    current = _RANK[episode.current_band]
    peak = band if rank > _RANK[episode.peak_band] else episode.peak_band
    updated = replace(episode, current_band=band, peak_band=peak, good_streak=0)
    effects: list[Effect] = []
    if rank > current and band is Band.RED:
        # Red is for the CEO and the lead: the CEO hears for the first time, the lead anew.
        effects += [NotifyLead(goal_id, band, "rose"), NotifyCeo(goal_id, band, "rose")]
    elif rank < current:
        effects.append(NoteInThread(goal_id, "band_fell"))
    return updated, effects


def _maybe_open(
    previous: Episode | None,
    goal_id: int,
    band: Band,
    trend_alert: bool,
    now: datetime,
    policy: EscalationPolicy,
) -> tuple[Episode | None, list[Effect]]:
    if band is Band.ORANGE or band is Band.RED:
        episode = Episode(goal_id, opened_at=now, current_band=band, peak_band=band, policy=policy)
        effects: list[Effect] = [NotifyLead(goal_id, band, "opened")]
        if band is Band.RED:
            effects.append(NotifyCeo(goal_id, band, "opened"))
        effects.append(OpenRemediation(goal_id, "red" if band is Band.RED else "orange"))
        return episode, effects
    return previous, [OpenRemediation(goal_id, "trend")] if trend_alert else []


def acknowledge(episode: Episode, *, user_id: str, now: datetime) -> tuple[Episode, list[Effect]]:
    """Record the first acknowledgement; later ones (or on a closed episode) change nothing."""
    _require_aware(now=now)
    if episode.acknowledged_at is not None or not episode.is_open:
        return episode, []
    acked = replace(episode, acknowledged_by=user_id, acknowledged_at=now)
    return acked, [NoteInThread(episode.goal_id, "acknowledged")]


def snooze(episode: Episode, *, until: datetime, now: datetime) -> tuple[Episode, list[Effect]]:
    """Mute repeats until `until` (which must be in the future); replaces an earlier snooze."""
    _require_aware(until=until, now=now)
    if until <= now:
        raise ValueError("snooze must end in the future")
    return replace(episode, snoozed_until=until), []


RepeatHold = Literal["recovered", "acknowledged", "snoozed", "used_up", "too_soon"]


def next_ping_at(
    *, last_ping_at: datetime, pings_sent: int, policy: EscalationPolicy
) -> datetime | None:
    """When the next repeat ping falls due, or None once every repeat has gone out.

    `pings_sent` counts every ping so far, the first included, so `pings_sent - 1` repeats have
    gone out; a repeat is allowed while that is below `max_repeats` (at most 1 + 5 pings).
    """
    if pings_sent > policy.max_repeats:
        return None
    return last_ping_at + policy.repeat_every


def repeat_hold(
    episode: Episode,
    *,
    last_ping_at: datetime,
    pings_sent: int,
    now: datetime,
    policy: EscalationPolicy,
) -> RepeatHold | None:
    """What holds the next repeat ping back, first reason first; None when it is due.

    Recovery, acknowledgement and a used-up count stop the repeats for good; a snooze and the
    cadence only delay them.
    """
    _require_aware(last_ping_at=last_ping_at, now=now)
    if not episode.is_open:
        return "recovered"
    if episode.acknowledged_at is not None:
        return "acknowledged"
    if episode.snoozed_until is not None and now < episode.snoozed_until:
        return "snoozed"
    due = next_ping_at(last_ping_at=last_ping_at, pings_sent=pings_sent, policy=policy)
    if due is None:
        return "used_up"
    return "too_soon" if now < due else None


def deliver_at(now: datetime, *, recipient_tz: str, policy: EscalationPolicy) -> datetime:
    """When a DM may go out: `now`, or the end of the recipient's quiet hours, in UTC."""
    _require_aware(now=now)
    zone = ZoneInfo(recipient_tz)
    local = now.astimezone(zone)
    start, end, clock = policy.quiet_start, policy.quiet_end, local.time().replace(tzinfo=None)
    if start == end:
        return now.astimezone(UTC)
    # A window with start > end crosses midnight.
    quiet = start <= clock < end if start < end else clock >= start or clock < end
    if not quiet:
        return now.astimezone(UTC)
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    # Wall-clock arithmetic in the zone: 08:00 local stays 08:00 across a DST change.
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def policy_to_dict(policy: EscalationPolicy) -> dict[str, Any]:
    """The policy as JSON, for the snapshot stored with an episode."""
    return {
        "repeat_every_seconds": policy.repeat_every.total_seconds(),
        "max_repeats": policy.max_repeats,
        "quiet_start": policy.quiet_start.strftime("%H:%M"),
        "quiet_end": policy.quiet_end.strftime("%H:%M"),
        "recover_after": policy.recover_after,
    }


def policy_from_dict(data: dict[str, Any]) -> EscalationPolicy:
    """A stored snapshot back as a policy; missing keys take today's defaults."""
    default = EscalationPolicy()
    return EscalationPolicy(
        repeat_every=timedelta(
            seconds=float(data.get("repeat_every_seconds", default.repeat_every.total_seconds()))
        ),
        max_repeats=int(data.get("max_repeats", default.max_repeats)),
        quiet_start=time.fromisoformat(data.get("quiet_start", "21:00")),
        quiet_end=time.fromisoformat(data.get("quiet_end", "08:00")),
        recover_after=int(data.get("recover_after", default.recover_after)),
    )
