"""The outbox: messages to send at a due time, each claimed by one worker and done once.

A row is enqueued with `INSERT … ON CONFLICT (run_key) DO NOTHING`, so however many processes
decide to send the same message, there is one row. A worker claims a due row with a
conditional UPDATE (only one worker's update matches), holds it for a lease, and marks it done
only after Slack accepted the call; a worker that dies leaves a lease that lapses.

Invariants:
- Every row ends: `state` goes from `pending` to exactly one of `sent`, `skipped` or `failed`,
  and `done_at` is set with it; nothing moves a row out of a final state.
- A claim is a compare-and-set on `attempts`, whose new value is the claim's fencing token.
  `complete`, `fail` and `postpone` match that token, so a worker whose lease lapsed and was
  taken over can no longer write the row (its transaction is rolled back by the caller).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import Goal, GoalStatus, OutboxMessage


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
    """Undone rows that are due, not held by a live lease and not of a paused goal, oldest
    first."""
    paused = select(Goal.id).where(Goal.status == GoalStatus.PAUSED.value)
    statement = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.done_at).is_(None),
            col(OutboxMessage.due_at) <= now,
            or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) <= now),
            # A paused goal sends nothing: its rows wait, and move on when it resumes.
            col(OutboxMessage.goal_id).not_in(paused),
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if goal_id is not None:
        statement = statement.where(OutboxMessage.goal_id == goal_id)
    return list((await session.exec(statement)).all())


async def claim(
    *,
    session: AsyncSession,
    message: OutboxMessage,
    worker: str,
    now: datetime,
    lease_until: datetime,
) -> int | None:
    """Take a due row as it was read, unless someone holds it or it is done; returns the
    claim's fencing token, or None when another worker has it (or had it since the read)."""
    token = message.attempts + 1
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message.id,
            col(OutboxMessage.done_at).is_(None),
            col(OutboxMessage.attempts) == message.attempts,
            col(OutboxMessage.due_at) <= now,
            or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) <= now),
        )
        .values(claimed_by=worker, lease_until=lease_until, attempts=token)
    )
    return token if (await session.exec(statement)).rowcount == 1 else None


def _held(message_id: int, worker: str, token: int) -> tuple[Any, ...]:
    return (
        col(OutboxMessage.id) == message_id,
        col(OutboxMessage.claimed_by) == worker,
        col(OutboxMessage.attempts) == token,
        col(OutboxMessage.done_at).is_(None),
    )


async def complete(
    *,
    session: AsyncSession,
    message_id: int,
    worker: str,
    token: int,
    now: datetime,
    result: dict[str, Any],
    state: str = "sent",
) -> bool:
    """End the row as `sent` (with what Slack returned) or `skipped` (with why); False when
    this claim was taken over."""
    statement = (
        update(OutboxMessage)
        .where(*_held(message_id, worker, token))
        .values(done_at=now, result=result, error=None, state=state, lease_until=None)
    )
    return bool((await session.exec(statement)).rowcount == 1)


async def fail(
    *, session: AsyncSession, message_id: int, worker: str, token: int, now: datetime, reason: str
) -> bool:
    """End the row as `failed`: sending it again cannot help (or every retry was used)."""
    statement = (
        update(OutboxMessage)
        .where(*_held(message_id, worker, token))
        .values(
            done_at=now,
            state="failed",
            result={"failed": reason[:200]},
            error=reason[:500],
            lease_until=None,
        )
    )
    return bool((await session.exec(statement)).rowcount == 1)


async def postpone(
    *,
    session: AsyncSession,
    message_id: int,
    worker: str,
    token: int,
    until: datetime,
    error: str | None,
) -> bool:
    """Hand the row back to be tried again from `until` (a failure, quiet hours, a snooze)."""
    statement = (
        update(OutboxMessage)
        .where(*_held(message_id, worker, token))
        .values(due_at=until, lease_until=None, error=error[:500] if error else None)
    )
    return bool((await session.exec(statement)).rowcount == 1)


async def cancel_pending(
    *, session: AsyncSession, run_keys: Sequence[str], now: datetime, reason: str
) -> None:
    """Mark undone rows as done without sending (their remediation closed early)."""
    if not run_keys:
        return
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.run_key).in_(run_keys), col(OutboxMessage.done_at).is_(None))
        .values(done_at=now, result={"skipped": reason}, state="skipped", lease_until=None)
    )


async def postpone_goal(*, session: AsyncSession, goal_id: int, by: timedelta) -> None:
    """Move every pending row of a goal on by `by` (it was paused that long)."""
    statement = select(OutboxMessage).where(
        OutboxMessage.goal_id == goal_id, col(OutboxMessage.done_at).is_(None)
    )
    for row in (await session.exec(statement)).all():  # a handful: one goal's queue
        row.due_at = row.due_at + by
        session.add(row)


async def set_payload(*, session: AsyncSession, message_id: int, payload: dict[str, Any]) -> None:
    """Store a decision taken while sending (a close-out's outcome), so a retry repeats it."""
    await session.exec(
        update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(payload=payload)
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
