"""What a channel's daily digest says, as plain data: built in jobs/, rendered in bot/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from jobs.goals.plan import PlanStatus


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
class BenchmarkGap:
    """A metric's value against its industry benchmark (metrics.yml `benchmark:`)."""

    benchmark: float  # in the metric's unit, as its values
    gap: float | None  # value ÷ benchmark − 1 (−0.17 is 17% under); None without a value
    breached: bool  # further off than the benchmark's warning allows: the band was raised


@dataclass(frozen=True)
class GuardStatus:
    """A metric guarding the goal (jobs/evaluation/guardrails.py), beside it in the digest."""

    metric_key: str
    change: float | None  # its signed change since the guard was set; None: nothing to compare
    breached: bool  # worse than the guard's threshold allows


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
    benchmark: BenchmarkGap | None = None
    # The goal's plan (jobs/goals/goal_plan.py) as of the evaluated day; None without one.
    plan: PlanStatus | None = None
    stretch: float | None = None  # beyond `target` (the floor), shown as progress
    due_date: date | None = None
    # The owner's latest check-in within a week: its confidence (on_track, at_risk, off_track),
    # or missed; `raised_by_owner` when an off-track answer alone lifted a green goal to yellow.
    confidence: str | None = None
    checkin_missed: bool = False
    raised_by_owner: bool = False
    guards: tuple[GuardStatus, ...] = ()


@dataclass(frozen=True)
class Reading:
    """A metric's latest value, shown in its own unit, with its week-over-week change."""

    metric_key: str
    title: str
    unit: str
    scale: str
    currency: str
    value: float | None  # None when the metric has no recent value
    change_wow: float | None = None  # value ÷ the value seven days before − 1
    benchmark: BenchmarkGap | None = None


@dataclass(frozen=True)
class HealthIndex:
    """The user-health index (activity × retention × AOV) when the channel has its parts.

    Built from the built-in measures (jobs/customers/measures.py) when the channel has goals on
    day-grain dataset metrics: then `index`, `factors` and the rest are set and `components` is
    empty. Otherwise from a `health_index` formula metric over the channel's goals: `components`
    holds its inputs' latest values by metric key.
    """

    value: float | None
    components: dict[str, float | None]
    sparkline: tuple[float | None, ...] = ()
    index: Reading | None = None  # the index itself, as its metric (or the factors) give it
    # HEALTH_FACTORS in order, for each one declared in metrics.yml; `undeclared` names the
    # measures no metric computes.
    factors: tuple[Reading, ...] = ()
    undeclared: tuple[str, ...] = ()
    # The aov_volatility measure: the coefficient of variation of daily AOV over 30 days.
    aov_volatility: float | None = None
    # Every metric shown here or set as a goal in the channel that has a benchmark.
    benchmarks: tuple[Reading, ...] = ()


@dataclass(frozen=True)
class TierShare:
    """A customer tier's share of every customer, from the metric declared for `{tier}_share`."""

    tier: str  # one of jobs.customers.measures.TIERS
    value: float | None  # a fraction (0.081 is 8.1%); None without a recent point
    # The change from seven days before, in percentage points (−0.6 is 8.7% → 8.1%); set only
    # for the tiers the channel's goals are about.
    change_points: float | None = None


@dataclass(frozen=True)
class AtRisk:
    """How many customers the churn warning flags: all of them, or one tier's."""

    tier: str | None  # None for `customers_at_risk`, "high_value" for `high_value_at_risk`
    count: float


@dataclass(frozen=True)
class TierLine:
    """The compact customer-tier line of a channel with goals on customer-grain measures."""

    # TIERS order, one for each tier whose `{tier}_share` measure a metric computes.
    shares: tuple[TierShare, ...]
    undeclared: tuple[str, ...] = ()  # the `{tier}_share` measures no metric computes
    # The at-risk measures the channel has goals on, each with a recent value.
    at_risk: tuple[AtRisk, ...] = ()


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
    tiers: TierLine | None = None
