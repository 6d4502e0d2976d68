"""When a goal's owner is asked to check in: a cadence in the owner's own timezone; pure.

No I/O, no clock: every function takes the instants it needs. All datetimes passed in must be
timezone-aware; slots come back in UTC.

DST: a slot is the cadence's local wall time in the owner's zone, so a weekly 10:00 stays 10:00
local across a change (its UTC instant moves by an hour). A wall time the spring-forward gap
skips moves forward by the gap (02:30 → 03:30); one the fall-back repeats is taken the first time
(fold=0).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobs.escalation.episode import EscalationPolicy, deliver_at

Every = Literal["day", "week"]

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS: dict[str, int] = {
    key: number
    for number, name in enumerate(_DAY_NAMES)
    for key in (name[:3].lower(), name.lower())
}
MAX_WEEKS = 12
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_KEYS = frozenset({"every", "at", "weekday", "weeks", "anchor"})


@dataclass(frozen=True)
class Cadence:
    """How often a goal's owner is asked, at which local wall-clock minute.

    Invariants (checked on creation): `at` is naive and whole minutes; `weekday` is 0..6;
    `weeks` is 1 for "day" and 1..12 for "week"; `anchor` is set exactly when `weeks` > 1.
    """

    every: Every  # "day": every day; "week": every `weeks` weeks on `weekday`
    at: time  # local wall-clock time in the owner's timezone
    weekday: int = 0  # 0 = Monday … 6 = Sunday (ignored for "day")
    weeks: int = 1  # 1 = weekly, N = every N weeks (only for "week"), 1..12
    anchor: date | None = None  # every-N-weeks counts from the ISO week of this date

    def __post_init__(self) -> None:
        if self.every not in get_args(Every):
            raise ValueError(f"every must be 'day' or 'week', not {self.every!r}")
        if not isinstance(self.at, time) or self.at.tzinfo is not None:
            raise ValueError("at must be a naive local time")
        if self.at.second or self.at.microsecond:
            raise ValueError("at must be a whole minute")
        if not _is_int(self.weekday) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday!r}")
        top = MAX_WEEKS if self.every == "week" else 1
        if not _is_int(self.weeks) or not 1 <= self.weeks <= top:
            allowed = f"1 to {MAX_WEEKS}" if self.every == "week" else "1 for every day"
            raise ValueError(f"weeks must be {allowed}, not {self.weeks!r}")
        if self.weeks > 1 and not _is_date(self.anchor):
            raise ValueError("every N weeks needs the anchor date it counts from")
        if self.weeks == 1 and self.anchor is not None:
            raise ValueError("only every N weeks (N > 1) has an anchor date")

    def to_dict(self) -> dict[str, Any]:
        """The cadence as JSON-safe data (from_dict reads it back)."""
        return {
            "every": self.every,
            "at": self.at.strftime("%H:%M"),
            "weekday": self.weekday,
            "weeks": self.weeks,
            "anchor": self.anchor.isoformat() if self.anchor is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cadence:
        """The cadence to_dict wrote; ValueError on anything else (missing, unknown, ill-typed)."""
        if not isinstance(data, Mapping):
            raise ValueError("a cadence must be a mapping")
        unknown = set(data) - _KEYS
        if unknown:
            raise ValueError(f"unknown cadence keys: {', '.join(sorted(map(str, unknown)))}")
        if "every" not in data or "at" not in data:
            raise ValueError("a cadence needs 'every' and 'at'")
        at, anchor = data["at"], data.get("anchor")
        if not isinstance(at, str):
            raise ValueError(f"at must be a clock time such as '10:00', not {at!r}")
        if anchor is not None and not isinstance(anchor, str):
            raise ValueError(f"anchor must be an ISO date, not {anchor!r}")
        return cls(
            every=data["every"],
            at=parse_clock(at),
            weekday=data.get("weekday", 0),
            weeks=data.get("weeks", 1),
            anchor=date.fromisoformat(anchor) if anchor is not None else None,
        )

    def describe(self) -> str:
        """The cadence in English words, for logs: "every 2 weeks on Monday at 10:00" (readers
        get bot/render/checkins.py cadence_words, in their language)."""
        clock = self.at.strftime("%H:%M")
        if self.every == "day":
            return f"every day at {clock}"
        day = _DAY_NAMES[self.weekday]
        if self.weeks == 1:
            return f"every {day} at {clock}"
        return f"every {self.weeks} weeks on {day} at {clock}"

    def falls_on(self, day: date) -> bool:
        """True when the cadence has a slot on the local date `day`."""
        if self.every == "day":
            return True
        if day.weekday() != self.weekday:
            return False
        if self.anchor is None:
            return True
        # Whole ISO weeks between the anchor's week and `day`'s; the anchor's week is on.
        weeks_apart = (_monday(day) - _monday(self.anchor)).days // 7
        return weeks_apart % self.weeks == 0


@dataclass(frozen=True)
class QuietHours:
    """Local hours no prompt goes out in; start > end crosses midnight, start == end is none."""

    start: time = time(21, 0)  # same defaults as jobs/escalation/episode.py EscalationPolicy
    end: time = time(8, 0)


def parse_clock(text: str) -> time:
    """A clock time such as 10:00, 9:30 or 21:05 as a time; ValueError for anything else."""
    match = _CLOCK.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a clock time such as 9:30 or 21:05")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a clock time such as 9:30 or 21:05")
    return time(hour, minute)


def slot_on(cadence: Cadence, tz: str, day: date) -> datetime | None:
    """The UTC instant of the cadence's slot on local date `day`, or None when it has none."""
    if not cadence.falls_on(day):
        return None
    # fold=0: a skipped wall time keeps the offset before the gap (02:30 → 03:30 after it);
    # a repeated one is its first occurrence.
    local = datetime.combine(day, cadence.at, tzinfo=_zone(tz)).replace(fold=0)
    return local.astimezone(UTC)


def slots_between(cadence: Cadence, tz: str, after: datetime, until: datetime) -> list[datetime]:
    """UTC instants of the cadence's local times with after < slot <= until, oldest first."""
    _require_aware(after=after, until=until)
    zone = _zone(tz)
    if until <= after:
        return []
    # A local date's slot lies within a day of its UTC date, so one day either side covers all.
    first = after.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date() + timedelta(days=1)
    slots = (slot_on(cadence, tz, day) for day in _days(first, last))
    return [slot for slot in slots if slot is not None and after < slot <= until]


def latest_slot(
    cadence: Cadence, tz: str, now: datetime, *, not_before: datetime
) -> datetime | None:
    """The newest slot <= now and > not_before (None if none) — the one prompt to ask now.

    Older missed slots are never asked: a bot down for a week asks once, not seven times.
    """
    _require_aware(now=now, not_before=not_before)
    zone = _zone(tz)
    day = now.astimezone(zone).date() + timedelta(days=1)
    oldest = not_before.astimezone(zone).date() - timedelta(days=1)
    # Slots grow with their local date, so the first one at or before `now` walking back is
    # the newest; once below `not_before`, every older one is too.
    while day >= oldest:
        slot = slot_on(cadence, tz, day)
        if slot is not None and slot <= now:
            return slot if slot > not_before else None
        day -= timedelta(days=1)
    return None


def ask_at(slot: datetime, tz: str, quiet: QuietHours) -> datetime:
    """When the prompt for `slot` may go out: the slot, or the end of quiet hours (UTC)."""
    _require_aware(slot=slot)
    _zone(tz)
    policy = EscalationPolicy(quiet_start=quiet.start, quiet_end=quiet.end)
    return deliver_at(slot, recipient_tz=tz, policy=policy)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown timezone {tz!r}") from exc


def _require_aware(**values: datetime) -> None:
    for name, value in values.items():
        if value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)
