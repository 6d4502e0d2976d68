"""outbox rows end in a state (sent, skipped, failed); goals remember when they were paused

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=8), nullable=False, server_default="pending")
        )
    # Rows already done were sent, unless their result says why they were skipped.
    op.execute(
        "UPDATE outbox SET state = CASE WHEN CAST(result AS TEXT) LIKE '%\"skipped\"%' "
        "THEN 'skipped' ELSE 'sent' END WHERE done_at IS NOT NULL"
    )
    op.add_column(
        "goal", sa.Column("paused_at", storage.types.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild of `goal` would cascade-delete its
    # evaluations, episodes and remediations through their foreign keys.
    op.drop_column("goal", "paused_at")
    op.drop_column("outbox", "state")
