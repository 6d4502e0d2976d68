"""Rows written straight into the database, for tests that need a state the bot would reach,
and read straight out of it, for tests that check what the bot stored."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent, OutboxMessage

Row = TypeVar("Row", bound=SQLModel)


async def stored(session: AsyncSession, row: Row) -> Row:
    """Insert the row now (constraints apply at once) and return it with its id."""
    session.add(row)
    await session.flush()
    return row


async def audit_events(
    *, session: AsyncSession, team_id: str, limit: int = 100
) -> list[AuditEvent]:
    """The workspace's audit events, newest first."""
    statement = (
        select(AuditEvent)
        .where(AuditEvent.team_id == team_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def sent_rows(*, session: AsyncSession, team_id: str) -> list[OutboxMessage]:
    """A workspace's outbox rows that went out, in the order they were sent."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.team_id == team_id, col(OutboxMessage.done_at).is_not(None))
        .order_by(col(OutboxMessage.done_at), col(OutboxMessage.id))
    )
    return list((await session.exec(statement)).all())
