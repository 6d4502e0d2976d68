"""workspace_settings holds the customer tiers' treatments a workspace replaced

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing workspaces have replaced none: every tier keeps its default treatment.
    op.add_column(
        "workspace_settings",
        sa.Column("tier_treatments", sa.JSON(), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as 0006: no batch rebuild of the table.
    op.drop_column("workspace_settings", "tier_treatments")
