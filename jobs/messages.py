"""What escalation and remediation messages say, as plain data: built in jobs/, rendered in bot/.

Every message about a goal carries its current numbers as a digest `GoalLine`, so a DM, a thread
note and the digest describe a goal the same way. A `SourceNotice` is about a metric's source
instead, and names the recipient's goals that depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from jobs.checkins.cadence import Cadence
from jobs.digest.model import GoalLine
from jobs.errors import CommandLine
from jobs.escalation.remediation import ChecklistItem

Role = Literal["lead", "ceo"]
DmReason = Literal["opened", "rose", "repeat", "overdue"]
RemediationStatus = Literal["open", "resolved", "overdue"]


@dataclass(frozen=True)
class EscalationDm:
    """A DM to the lead or the CEO about a goal in orange or red, with Acknowledge/Snooze."""

    goal: GoalLine
    channel_id: str
    episode_id: int
    role: Role
    reason: DmReason
    # How many times this recipient was pinged before this one (0 for the first ping).
    repeat: int
    thread_link: str | None
    acknowledged_by: str | None = None
    snoozed_until: datetime | None = None
    # Overdue DMs come from a remediation's close-out, not from an episode's band.
    remediation_id: int | None = None


@dataclass(frozen=True)
class RemediationParent:
    """The parent message in the goal's channel; its thread holds the checklist and notes."""

    goal: GoalLine
    remediation_id: int
    trigger: str  # "trend", "orange" or "red"
    opened_at: datetime
    due_at: datetime
    status: RemediationStatus
    timezone: str  # the channel's, for showing the due time
    # Set once the goal is back in green/yellow: the parent is edited to say so.
    recovered_at: datetime | None = None
    closed_at: datetime | None = None
    # For a trend trigger: how many adverse moves in a row opened it.
    trigger_moves: int | None = None


@dataclass(frozen=True)
class ChecklistView:
    """The checklist message in the thread, redrawn in place on every change."""

    goal: GoalLine
    remediation_id: int
    items: tuple[ChecklistItem, ...]
    due_at: datetime
    status: RemediationStatus
    timezone: str
    now: datetime  # for "41h left"
    closed_by: str | None = None

    @property
    def done(self) -> int:
        return sum(item.done for item in self.items)


@dataclass(frozen=True)
class LeadAlerted:
    """Thread note: the lead (or the CEO) was DMed; mentions them."""

    goal: GoalLine
    user_id: str
    role: Role


@dataclass(frozen=True)
class MissingRecipient:
    """Thread note: nobody could be DMed because no lead (or CEO) is configured.

    `command` is the `config …` command that fixes it, e.g. `config lead @someone`.
    """

    goal: GoalLine
    role: Role
    command: CommandLine


@dataclass(frozen=True)
class BandChanged:
    """Thread note: the goal moved between orange and red."""

    goal: GoalLine
    previous: str
    band: str


@dataclass(frozen=True)
class Recovered:
    """Thread note: the goal is back in green or yellow; the episode is over."""

    goal: GoalLine


@dataclass(frozen=True)
class Acknowledged:
    """Thread note: someone acknowledged the escalation (repeats stop, deadlines stand)."""

    goal: GoalLine
    user_id: str


@dataclass(frozen=True)
class Snoozed:
    """Thread note: someone muted the repeats until a time."""

    goal: GoalLine
    user_id: str
    until: datetime
    timezone: str


@dataclass(frozen=True)
class Reminder:
    """Thread note at +24h/+48h mentioning the owners of unchecked items."""

    goal: GoalLine
    kind: str  # "24h" or "48h"
    owner_ids: tuple[str, ...]
    done: int
    total: int
    due_at: datetime
    timezone: str


@dataclass(frozen=True)
class CloseOut:
    """Thread note at +72h (or on an early resolve): the outcome and a summary."""

    goal: GoalLine
    outcome: str  # "resolved_early", "resolved" or "overdue"
    summary: str
    done: int
    total: int
    # Who the overdue remediation was escalated to (DMed), by role.
    escalated_to: tuple[tuple[Role, str], ...] = ()
    # Who resolved it early (the summary is plain text: mentions go here).
    closed_by: str | None = None


@dataclass(frozen=True)
class HeatmapUnavailable:
    """Thread note instead of the customer heatmap: it could not be drawn, and why (one line:
    the orders dataset's error, or what went wrong scoring the customers)."""

    goal: GoalLine
    reason: str


@dataclass(frozen=True)
class AffectedGoal:
    """One of the recipient's goals that a metric's source feeds."""

    metric_key: str
    title: str
    channel_id: str
    # The goal is on a formula metric computed from the source's metric.
    derived: bool = False


@dataclass(frozen=True)
class SourceNotice:
    """A DM to a goal owner: a metric's source started failing, or (`recovered_at`) works again.

    With `datasets`, the source is those customer datasets, and `metrics` (titles) are every
    metric computed from them that the failure stops; `metric_key` and `title` are the first.
    """

    metric_key: str
    title: str
    failing_since: datetime
    # The stored one-line failure (never a password); None in a recovery notice.
    error: str | None
    goals: tuple[AffectedGoal, ...]
    recovered_at: datetime | None = None
    datasets: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryProblem:
    """To someone who can fix it: Slack refused goalpulse's messages for `reason` (its error
    code) about `target` (a channel or user id), in the goal's channel."""

    reason: str
    target: str | None
    channel_id: str
    metric_key: str
    failed_kind: str  # the outbox kind that failed: "parent", "dm", "note"…
    permanent: bool = True  # False: Slack kept failing until every retry was used


@dataclass(frozen=True)
class SelfCheckNotice:
    """To a workspace admin: goalpulse itself needs looking at. `problem` is `outbox` (messages
    due and unsent for too long: `waiting` of them, the oldest due since `since`) or `source`
    (the source of `metric_key` failing since `since`, with its stored one-line `error`)."""

    problem: Literal["outbox", "source"]
    since: datetime
    seen_at: datetime
    waiting: int = 0
    metric_key: str | None = None
    title: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class GuardrailBreached:
    """In the goal's thread (or its channel): a guard metric got `change` worse than its
    `baseline` when the guard was set, past its `threshold`, while the goal is on track.
    Names the goal's owner and lead."""

    goal: GoalLine
    guard_metric: str
    guard_title: str
    # The guard metric's unit settings, to show its values as the metric reads.
    guard_unit: str
    guard_scale: str
    guard_currency: str
    baseline: float
    value: float
    change: float  # (value − baseline) / |baseline|: signed, its bad side past the threshold
    threshold: float
    owner_id: str | None
    lead_id: str | None


@dataclass(frozen=True)
class CheckinEntry:
    """One answered check-in in a weekly summary; `previous` is the confidence the goal's
    check-in before it gave (None when it is the first)."""

    user_id: str
    day: date
    confidence: str | None
    previous: str | None
    value: float | None
    moved: str | None  # what moved it, as typed
    blockers: str | None  # as typed
    late: bool = False  # answered after it was recorded missed


@dataclass(frozen=True)
class MissedCheckin:
    """A check-in nobody answered in time."""

    user_id: str
    day: date


@dataclass(frozen=True)
class GoalWeek:
    """One goal's check-ins in a week, oldest first, with its unit settings for the values."""

    goal_id: int
    metric_key: str
    title: str
    unit: str
    scale: str
    currency: str
    answered: tuple[CheckinEntry, ...]
    missed: tuple[MissedCheckin, ...]


@dataclass(frozen=True)
class WeeklyCheckinSummary:
    """In the thread of a channel's first digest of a week: that week's check-ins per goal."""

    channel_id: str
    week: str  # the ISO week, e.g. 2026-W48
    first: date  # its Monday
    last: date  # its Sunday
    goals: tuple[GoalWeek, ...]


@dataclass(frozen=True)
class CheckinPrompt:
    """A DM asking a goal's owner to check in (or, `reminder`, asking again), with one button
    that opens the check-in form. `manual`: the form asks for the value (the metric is typed
    in); otherwise it shows the latest pulled one."""

    goal: GoalLine
    checkin_id: int
    cadence: Cadence | None  # put in the reader's words when drawn; None: not known
    due_date: date | None
    reminder: bool = False
    manual: bool = False


@dataclass(frozen=True)
class CheckinAnswered:
    """The prompt DM redrawn once answered: what the owner said. `late`: after it was recorded
    missed."""

    goal: GoalLine
    checkin_id: int
    confidence: str | None  # "on_track", "at_risk" or "off_track"
    value: float | None
    moved: str | None  # as typed
    blockers: str | None  # as typed
    answered_at: datetime
    late: bool = False


ThreadNote = (
    LeadAlerted
    | MissingRecipient
    | BandChanged
    | Recovered
    | Acknowledged
    | Snoozed
    | Reminder
    | CloseOut
    | HeatmapUnavailable
)
Outgoing = (
    EscalationDm
    | RemediationParent
    | ChecklistView
    | ThreadNote
    | SourceNotice
    | DeliveryProblem
    | SelfCheckNotice
    | CheckinPrompt
    | CheckinAnswered
    | GuardrailBreached
    | WeeklyCheckinSummary
)


def metric_of(message: Outgoing) -> str:
    """The metric key a message is about."""
    if isinstance(message, SourceNotice | DeliveryProblem):
        return message.metric_key
    if isinstance(message, SelfCheckNotice):
        return message.metric_key or ""
    if isinstance(message, WeeklyCheckinSummary):
        return ""
    return message.goal.metric_key
