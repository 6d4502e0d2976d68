"""escalation wiring: outbox, episode links, checklist items

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("remediation_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_goal", ["goal_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_pending_due",
            ["due_at"],
            unique=False,
            sqlite_where=sa.text("done_at IS NULL"),
            postgresql_where=sa.text("done_at IS NULL"),
        )

    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel_id", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("remediation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_day", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("last_band", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_foreign_key(
            "fk_episode_remediation", "remediation", ["remediation_id"], ["id"]
        )

    with op.batch_alter_table("remediation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner_id", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("lead_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))

    with op.batch_alter_table("workspace_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checklist_items", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("workspace_settings", schema=None) as batch_op:
        batch_op.drop_column("checklist_items")

    with op.batch_alter_table("remediation", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("summary")
        batch_op.drop_column("lead_id")
        batch_op.drop_column("owner_id")

    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.drop_constraint("fk_episode_remediation", type_="foreignkey")
        batch_op.drop_column("version")
        batch_op.drop_column("last_band")
        batch_op.drop_column("last_day")
        batch_op.drop_column("remediation_id")
        batch_op.drop_column("channel_id")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_pending_due",
            sqlite_where=sa.text("done_at IS NULL"),
            postgresql_where=sa.text("done_at IS NULL"),
        )
        batch_op.drop_index("ix_outbox_goal")

    op.drop_table("outbox")
