"""the language a workspace and a channel read (`language` on both settings tables)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-15
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL inherits: a channel the workspace's language, a workspace English.
    for table in ("workspace_settings", "channel_settings"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    for table in ("workspace_settings", "channel_settings"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("language")
