"""Rows written straight into the database, for tests that need a state the bot would reach."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=SQLModel)


async def stored(session: AsyncSession, row: Row) -> Row:
    """Insert the row now (constraints apply at once) and return it with its id."""
    session.add(row)
    await session.flush()
    return row
