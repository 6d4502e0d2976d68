"""check-ins (table `checkin`); goals gain a plan, a stretch, a check-in cadence, guardrails

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing goals have no plan, no cadence and no guardrails: they behave as before.
    op.add_column("goal", sa.Column("start_value", sa.Float(), nullable=True))
    op.add_column("goal", sa.Column("start_date", sa.Date(), nullable=True))
    op.add_column("goal", sa.Column("pace", sa.String(length=16), nullable=True))
    op.add_column("goal", sa.Column("milestones", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("goal", sa.Column("stretch", sa.Float(), nullable=True))
    op.add_column("goal", sa.Column("checkin_cadence", sa.JSON(), nullable=True))
    op.add_column("goal", sa.Column("guardrails", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("asked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(length=16), nullable=True),
        sa.Column("moved", sa.String(length=1000), nullable=True),
        sa.Column("blockers", sa.String(length=1000), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("dm_channel", sa.String(length=32), nullable=True),
        sa.Column("dm_ts", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("goal_id", "user_id", "slot_at", name="uq_checkin_slot"),
    )
    op.create_index("ix_checkin_team_goal_day", "checkin", ["team_id", "goal_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_checkin_team_goal_day", table_name="checkin")
    op.drop_table("checkin")
    # Plain DROP COLUMN (SQLite 3.35+), as 0006: no batch rebuild of `goal`, which would
    # cascade-delete its evaluations, episodes and remediations.
    for name in ("guardrails", "checkin_cadence", "stretch", "milestones", "pace", "start_date"):
        op.drop_column("goal", name)
    op.drop_column("goal", "start_value")
