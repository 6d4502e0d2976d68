"""The tables; those of sending (claims, outbox, posting budget) are in storage/sending_models.py.

Every row belongs to one workspace (`team_id`), and every query filters on it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

# The tables of sending live in their own module; they are tables of this one too.
from storage.sending_models import OutboxMessage as OutboxMessage
from storage.sending_models import PostBudget as PostBudget
from storage.sending_models import RunClaim as RunClaim
from storage.types import UTCDateTime


class Direction(enum.StrEnum):
    """Which way is good for a goal's metric."""

    HIGHER = "higher"
    LOWER = "lower"
    EITHER = "either"


class GoalStatus(enum.StrEnum):
    """A goal's lifecycle state."""

    ACTIVE = "active"
    PAUSED = "paused"
    # Kept with its history but out of every list, digest, evaluation and escalation; setting
    # a goal on the metric in that channel again brings the row back.
    REMOVED = "removed"


DEFAULT_THRESHOLDS = (0.10, 0.20, 0.30)


class WorkspaceSettings(SQLModel, table=True):
    """Per-workspace settings: who the CEO is and the defaults channels inherit."""

    __tablename__ = "workspace_settings"

    team_id: str = Field(primary_key=True, max_length=32)
    ceo_id: str | None = Field(default=None, max_length=32)
    timezone: str | None = Field(default=None, max_length=64)
    digest_time: str | None = Field(default=None, max_length=5)
    # Checklist items every remediation in the workspace gets after the default three.
    checklist_items: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # The customer tiers' treatments the workspace replaced (tier → title); a remediation on a
    # tier's metric starts with its treatment, the default one for a tier not in here.
    tier_treatments: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    # The language channels read unless they chose one (`en`, `zh-CN`); None is English.
    language: str | None = Field(default=None, max_length=8)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WorkspaceInstall(SQLModel, table=True):
    """A workspace goalpulse was installed into through OAuth (bot/oauth/), and whether it was
    uninstalled since. No row: installed with SLACK_BOT_TOKEN, or never seen; either way its
    work goes on. An uninstalled workspace's scheduled work stops and its data stays."""

    __tablename__ = "workspace_install"

    team_id: str = Field(primary_key=True, max_length=32)
    # Its Enterprise Grid organization; an org-wide installation is found by this id.
    enterprise_id: str | None = Field(default=None, max_length=32)
    installed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    uninstalled_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class ChannelSettings(SQLModel, table=True):
    """Per-channel settings: the channel's lead, digest time, timezone and language."""

    __tablename__ = "channel_settings"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    lead_id: str | None = Field(default=None, max_length=32)
    digest_time: str | None = Field(default=None, max_length=5)
    timezone: str | None = Field(default=None, max_length=64)
    # None inherits the workspace's language.
    language: str | None = Field(default=None, max_length=8)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Goal(SQLModel, table=True):
    """A channel's target on one metric; the metric key names the goal."""

    __tablename__ = "goal"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "metric_key", name="uq_goal_channel_metric"),
        Index("ix_goal_team_channel", "team_id", "channel_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    metric_key: str = Field(max_length=64)
    target: float
    direction: str = Field(max_length=8)
    unit: str = Field(max_length=16)
    due_date: date | None = None
    owner_id: str | None = Field(default=None, max_length=32)
    lead_id: str | None = Field(default=None, max_length=32)
    yellow: float = DEFAULT_THRESHOLDS[0]
    orange: float = DEFAULT_THRESHOLDS[1]
    red: float = DEFAULT_THRESHOLDS[2]
    status: str = Field(default=GoalStatus.ACTIVE.value, max_length=8)
    # Set while paused: on resume, its remediation's deadline and queued messages move on by
    # the time it was paused (nothing is sent for a paused goal).
    paused_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Set while the goal is removed (status `removed`): when, and by whom.
    removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    removed_by: str | None = Field(default=None, max_length=32)
    # The plan (jobs/goals/plan.py): with a start value and day (and a due date) the bands are
    # judged against the plan's value for the day; `target` is the floor, `stretch` beyond it.
    start_value: float | None = None
    start_date: date | None = None
    pace: str | None = Field(default=None, max_length=16)
    milestones: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    stretch: float | None = None
    # When its owner is asked to check in (jobs/checkins/cadence.py Cadence.to_dict); None: never.
    checkin_cadence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Metrics that must not get worse while the goal is pursued (jobs/evaluation/guardrails.py
    # Guard.to_dict, plus `alerted`: whether the current breach was told).
    guardrails: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class AuditEvent(SQLModel, table=True):
    """One change someone made, kept for the record."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_team_at", "team_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    actor_id: str = Field(max_length=32)
    action: str = Field(max_length=32)
    subject: str = Field(max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Band(enum.StrEnum):
    """How far a goal is from target, mildest first; `no_data` and `invalid` stand apart."""

    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"
    NO_DATA = "no_data"
    INVALID = "invalid"


class MetricPoint(SQLModel, table=True):
    """One metric's value for one day in one workspace; pulls and check-ins upsert it."""

    __tablename__ = "metric_point"

    team_id: str = Field(primary_key=True, max_length=32)
    metric_key: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    value: float
    origin: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=500)
    recorded_by: str | None = Field(default=None, max_length=32)
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SourceStatus(SQLModel, table=True):
    """The outcome of a metric's latest pull; a failure is kept until a pull succeeds."""

    __tablename__ = "source_status"

    metric_key: str = Field(primary_key=True, max_length=64)
    last_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_success_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    failing_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    error: str | None = Field(default=None, max_length=500)
    points: int = 0


class Evaluation(SQLModel, table=True):
    """A goal measured on one day. Unique per (goal, day): re-evaluating changes nothing."""

    __tablename__ = "evaluation"
    __table_args__ = (
        UniqueConstraint("goal_id", "day", name="uq_evaluation_goal_day"),
        Index("ix_evaluation_team_day", "team_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE")
    team_id: str = Field(max_length=32)
    day: date
    value: float | None = None
    value_day: date | None = None
    target: float
    deviation: float | None = None
    adverse: float | None = None
    band: str = Field(max_length=8)
    consecutive_adverse: int = 0
    red_in_days: float | None = None
    volatility: float | None = None
    evaluated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# What evaluating a goal finds, in column order: every column of Evaluation but which goal,
# workspace and day it is about and when it was made. Re-evaluating overwrites these.
RESULT_FIELDS = tuple(
    name
    for name in Evaluation.model_fields
    if name not in {"id", "goal_id", "team_id", "day", "evaluated_at"}
)


class EpisodeRow(SQLModel, table=True):
    """A goal's stretch in orange or red. At most one open per goal, enforced by the database."""

    __tablename__ = "episode"
    __table_args__ = (
        Index(
            "uq_episode_one_open_per_goal",
            "goal_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE")
    team_id: str = Field(max_length=32)
    channel_id: str = Field(default="", max_length=32)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    current_band: str = Field(max_length=8)
    peak_band: str = Field(max_length=8)
    acknowledged_by: str | None = Field(default=None, max_length=32)
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    snoozed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    good_streak: int = 0
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The escalation policy as it was when the episode opened.
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The remediation whose thread carries this episode's notes.
    remediation_id: int | None = Field(default=None, foreign_key="remediation.id")
    # The evaluation last stepped through, so re-evaluating the same day changes nothing.
    last_day: date | None = None
    last_band: str | None = Field(default=None, max_length=8)
    # Optimistic lock: an update only lands if nobody changed the row since it was read.
    version: int = 1


class RemediationRow(SQLModel, table=True):
    """A 72-hour remediation thread. At most one open per goal, enforced by the database."""

    __tablename__ = "remediation"
    __table_args__ = (
        Index(
            "uq_remediation_one_open_per_goal",
            "goal_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE")
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    trigger: str = Field(max_length=8)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(default="open", max_length=8)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_by: str | None = Field(default=None, max_length=32)
    parent_ts: str | None = Field(default=None, max_length=32)
    checklist_ts: str | None = Field(default=None, max_length=32)
    items: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # Who may resolve early, fixed when it opens: the goal owner and the lead.
    owner_id: str = Field(default="", max_length=32)
    lead_id: str | None = Field(default=None, max_length=32)
    summary: str | None = Field(default=None, max_length=500)
    version: int = 1


class CheckinState(enum.StrEnum):
    """Where a check-in stands (jobs/checkins/prompt.py); the last four are final."""

    ASKED = "asked"
    REMINDED = "reminded"
    ANSWERED = "answered"
    MISSED = "missed"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"


class Checkin(SQLModel, table=True):
    """One check-in of a goal by a person: asked on a schedule (`slot_at`), or typed unasked.

    A scheduled one is unique per (goal, person, slot), so however many processes tick, each
    owner is asked once. It ends answered, missed, undeliverable or cancelled.
    """

    __tablename__ = "checkin"
    __table_args__ = (
        UniqueConstraint("goal_id", "user_id", "slot_at", name="uq_checkin_slot"),
        Index("ix_checkin_team_goal_day", "team_id", "goal_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE")
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    # The local day (deployment timezone) the check-in is about.
    day: date
    slot_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    asked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    state: str = Field(default=CheckinState.ASKED.value, max_length=16)
    value: float | None = None
    confidence: str | None = Field(default=None, max_length=16)
    moved: str | None = Field(default=None, max_length=1000)
    blockers: str | None = Field(default=None, max_length=1000)
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Answered after it was recorded missed: kept, and shown as late.
    late: bool = False
    # The prompt DM, redrawn once answered.
    dm_channel: str | None = Field(default=None, max_length=32)
    dm_ts: str | None = Field(default=None, max_length=32)
    version: int = 1
