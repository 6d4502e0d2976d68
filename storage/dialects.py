"""`INSERT … ON CONFLICT` for the two databases we run on (both support it natively)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The dialect's insert construct, which has `on_conflict_do_nothing/do_update`."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
