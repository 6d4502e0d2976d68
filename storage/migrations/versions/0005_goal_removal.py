"""removed goals are kept with their history: when and by whom a goal was removed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Only columns are added (SQLite's ALTER TABLE ADD COLUMN, no table rebuild): rebuilding `goal`
on SQLite would drop the old table with foreign keys on, and the cascade would delete every
evaluation, episode and remediation. The unique key on (team, channel, metric) stays: setting
a removed goal again brings its row back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "goal", sa.Column("removed_at", storage.types.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("goal", sa.Column("removed_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Goals removed under this revision would come back as live ones: drop them first.
    op.execute("DELETE FROM goal WHERE status = 'removed'")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): no rebuild, so no cascade.
    op.drop_column("goal", "removed_by")
    op.drop_column("goal", "removed_at")
