"""What a channel's daily digest says, as plain data: built in jobs/, rendered in bot/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class EscalationStatus:
    """A goal's open episode and/or remediation, for the digest and the `show` command."""

    episode_band: str | None  # the open episode's current band (orange/red), if one is open
    acknowledged_by: str | None
    remediation_id: int | None  # the open remediation, if one is open
    done: int  # checklist items done
    total: int
    due_at: datetime | None
    time_left: timedelta | None


@dataclass(frozen=True)
class GoalLine:
    """One goal's line in a digest."""

    goal_id: int
    metric_key: str
    title: str
    unit: str
    scale: str
    currency: str
    direction: str
    band: str
    value: float | None
    value_day: date | None
    target: float
    deviation: float | None
    # The last 7 days, oldest first; None where a day has no value.
    sparkline: tuple[float | None, ...]
    consecutive_adverse: int
    trend_alert: bool
    red_in_days: float | None
    owner_id: str | None
    # Set when the metric's source is failing: what went wrong, in one line.
    source_error: str | None = None
    escalation: EscalationStatus | None = None


@dataclass(frozen=True)
class HealthIndex:
    """The user-health index (activity × retention × AOV) when the channel has its parts."""

    value: float | None
    components: dict[str, float | None]
    sparkline: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class ChannelDigest:
    """Everything one channel's digest shows for one local date."""

    team_id: str
    channel_id: str
    local_date: date
    timezone: str
    lines: tuple[GoalLine, ...]
    health: HealthIndex | None = None
    # Up to 30 days of (day, value) per metric key, for the chart.
    history: dict[str, tuple[tuple[date, float], ...]] = field(default_factory=dict)
