"""The tables of sending: run claims, the outbox and the shared posting budget.

They are how work is done exactly once across processes (docs/architecture.md, "Outbox and
run claims"); storage/models.py re-exports them with every other table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class RunClaim(SQLModel, table=True):
    """A unit of scheduled work claimed exactly once by its run key (e.g. a channel's digest)."""

    __tablename__ = "run_claim"

    run_key: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=32)
    team_id: str = Field(max_length=32)
    claimed_by: str = Field(max_length=64)
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lease_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = 1
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=500)


class PostBudget(SQLModel, table=True):
    """A workspace's chat.postMessage budget, shared by every process on the database.

    `next_at` is when the workspace's next post is due at the steady rate; each post moves it
    on by one interval (storage/post_budget.py), so it never goes back.
    """

    __tablename__ = "post_budget"

    team_id: str = Field(primary_key=True, max_length=32)
    next_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OutboxMessage(SQLModel, table=True):
    """A message to send (now or at `due_at`): a DM, a thread post, a reminder, a close-out.

    The run key makes each message unique, however many processes enqueue it; a worker claims
    a row with a lease and marks it done only after Slack accepted the call.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending_due",
            "due_at",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
        Index("ix_outbox_goal", "goal_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_key: str = Field(max_length=200, unique=True)
    team_id: str = Field(max_length=32)
    goal_id: int
    kind: str = Field(max_length=24)
    episode_id: int | None = None
    remediation_id: int | None = None
    recipient_id: str | None = Field(default=None, max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    attempts: int = 0
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # pending, then exactly one of sent, skipped or failed (set with done_at; storage/outbox.py).
    state: str = Field(default="pending", max_length=8)
    # {"ts": …, "channel": …} once sent, {"skipped": why} when it no longer applied, or
    # {"failed": why} when Slack refused it for good.
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=500)
