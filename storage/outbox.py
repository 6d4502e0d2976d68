"""The outbox: messages to send at a due time, each claimed by one worker and done once.

A row is enqueued with `INSERT … ON CONFLICT (run_key) DO NOTHING`, so however many processes
decide to send the same message, there is one row. A worker claims a due row with a
conditional UPDATE (only one worker's update matches), holds it for a lease, and marks it done
only after Slack accepted the call; a worker that dies leaves a lease that lapses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import OutboxMessage


async def enqueue(*, session: AsyncSession, messages: Sequence[OutboxMessage]) -> int:
    """Add messages whose run key is new; returns how many were added."""
    if not messages:
        return 0
    rows = [
        message.model_dump(exclude={"id"}, exclude_none=False)
        | {"payload": message.payload, "result": message.result}
        for message in messages
    ]
    statement = (
        insert_for(session, OutboxMessage)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["run_key"])
    )
    return int((await session.exec(statement)).rowcount)


async def due(
    *, session: AsyncSession, now: datetime, limit: int = 500, goal_id: int | None = None
) -> list[OutboxMessage]:
    """Undone rows that are due and not held by a live lease, oldest first."""
    statement = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.done_at).is_(None),
            col(OutboxMessage.due_at) <= now,
            or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) <= now),
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if goal_id is not None:
        statement = statement.where(OutboxMessage.goal_id == goal_id)
    return list((await session.exec(statement)).all())


async def claim(
    *, session: AsyncSession, message_id: int, worker: str, now: datetime, lease_until: datetime
) -> bool:
    """Take a due row unless someone holds it or it is done; True when this worker has it."""
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.done_at).is_(None),
            col(OutboxMessage.due_at) <= now,
            or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) <= now),
        )
        .values(claimed_by=worker, lease_until=lease_until, attempts=OutboxMessage.attempts + 1)
    )
    return bool((await session.exec(statement)).rowcount == 1)


async def complete(
    *, session: AsyncSession, message_id: int, worker: str, now: datetime, result: dict[str, Any]
) -> bool:
    """Mark the row done with what Slack returned (or why it was skipped)."""
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.claimed_by) == worker)
        .values(done_at=now, result=result, error=None)
    )
    return bool((await session.exec(statement)).rowcount == 1)


async def postpone(
    *, session: AsyncSession, message_id: int, worker: str, until: datetime, error: str | None
) -> None:
    """Hand the row back to be tried again from `until` (a failure, quiet hours, a snooze)."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.claimed_by) == worker)
        .values(due_at=until, lease_until=None, error=error[:500] if error else None)
    )


async def cancel_pending(
    *, session: AsyncSession, run_keys: Sequence[str], now: datetime, reason: str
) -> None:
    """Mark undone rows as done without sending (their remediation closed early)."""
    if not run_keys:
        return
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.run_key).in_(run_keys), col(OutboxMessage.done_at).is_(None))
        .values(done_at=now, result={"skipped": reason})
    )


async def by_run_key(*, session: AsyncSession, run_key: str) -> OutboxMessage | None:
    """One row by its run key."""
    statement = select(OutboxMessage).where(OutboxMessage.run_key == run_key)
    return (await session.exec(statement)).first()


async def with_key_part(*, session: AsyncSession, kind: str, part: str) -> list[OutboxMessage]:
    """Rows of one kind, in any workspace, whose run key contains `part` (taken literally)."""
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == kind,
            col(OutboxMessage.run_key).contains(part, autoescape=True),
        )
        .order_by(col(OutboxMessage.id))
    )
    return list((await session.exec(statement)).all())


async def sent(*, session: AsyncSession, team_id: str) -> list[OutboxMessage]:
    """A workspace's rows that went out, in the order they were sent (for tests and the demo)."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.team_id == team_id, col(OutboxMessage.done_at).is_not(None))
        .order_by(col(OutboxMessage.done_at), col(OutboxMessage.id))
    )
    return list((await session.exec(statement)).all())
