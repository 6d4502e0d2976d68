"""Run claims: each unit of scheduled work is done once, however many workers race for it.

A claim is an `INSERT … ON CONFLICT DO NOTHING` on the run key: exactly one worker inserts it.
A worker that fails releases the claim for a retry after a pause; one that dies mid-way leaves
a lease that expires, after which another worker may take the work over. Every claim ends:
`complete` (done), `fail` (refused for good, or out of retries) or `give_up_stale` (its window
passed with nobody left to retry it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import insert_for
from storage.models import RunClaim


async def claim(
    *,
    session: AsyncSession,
    run_key: str,
    kind: str,
    team_id: str,
    worker: str,
    now: datetime,
    lease_until: datetime,
) -> bool:
    """Take the run key if nobody holds it (or a lapsed lease); True when this worker has it."""
    attempt = await claim_attempt(
        session=session,
        run_key=run_key,
        kind=kind,
        team_id=team_id,
        worker=worker,
        now=now,
        lease_until=lease_until,
    )
    return attempt > 0


async def claim_attempt(
    *,
    session: AsyncSession,
    run_key: str,
    kind: str,
    team_id: str,
    worker: str,
    now: datetime,
    lease_until: datetime,
) -> int:
    """`claim`, answering which attempt this is (1 the first; 2 on after a takeover or a
    release), or 0 when someone else holds the key or it is done."""
    attempts = RunClaim.__table__.c.attempts  # type: ignore[attr-defined]
    statement = (
        insert_for(session, RunClaim)
        .values(
            run_key=run_key,
            kind=kind,
            team_id=team_id,
            claimed_by=worker,
            claimed_at=now,
            lease_until=lease_until,
            attempts=1,
            result={},
        )
        .on_conflict_do_nothing(index_elements=["run_key"])
        .returning(attempts)
    )
    if (await session.exec(statement)).first() is not None:
        return 1
    takeover = (
        update(RunClaim)
        .where(
            col(RunClaim.run_key) == run_key,
            col(RunClaim.done_at).is_(None),
            col(RunClaim.lease_until) <= now,
        )
        .values(
            claimed_by=worker,
            claimed_at=now,
            lease_until=lease_until,
            attempts=RunClaim.attempts + 1,
        )
        .returning(attempts)
    )
    taken = (await session.exec(takeover)).first()
    return int(taken[0]) if taken is not None else 0


async def claim_attempts(
    *,
    session: AsyncSession,
    run_keys: list[str],
    kind: str,
    team_id: str,
    worker: str,
    now: datetime,
    lease_until: datetime,
) -> dict[str, int]:
    """`claim_attempt` for several run keys of one workspace in two statements: the attempt of
    each key this worker now holds (keys held by others, or done, are absent)."""
    if not run_keys:
        return {}
    table = RunClaim.__table__  # type: ignore[attr-defined]
    fresh = (
        insert_for(session, RunClaim)
        .values(
            [
                {
                    "run_key": run_key,
                    "kind": kind,
                    "team_id": team_id,
                    "claimed_by": worker,
                    "claimed_at": now,
                    "lease_until": lease_until,
                    "attempts": 1,
                    "result": {},
                }
                for run_key in run_keys
            ]
        )
        .on_conflict_do_nothing(index_elements=["run_key"])
        .returning(table.c.run_key)
    )
    held = {str(row[0]): 1 for row in (await session.exec(fresh)).all()}
    rest = [run_key for run_key in run_keys if run_key not in held]
    if not rest:
        return held
    takeover = (
        update(RunClaim)
        .where(
            col(RunClaim.run_key).in_(rest),
            col(RunClaim.done_at).is_(None),
            col(RunClaim.lease_until) <= now,
        )
        .values(
            claimed_by=worker,
            claimed_at=now,
            lease_until=lease_until,
            attempts=RunClaim.attempts + 1,
        )
        .returning(table.c.run_key, table.c.attempts)
    )
    taken = {str(key): int(n) for key, n in (await session.exec(takeover)).all()}
    return held | taken


async def claims_of(*, session: AsyncSession, run_keys: list[str]) -> dict[str, RunClaim]:
    """The claim rows of these run keys that exist, by run key."""
    if not run_keys:
        return {}
    statement = select(RunClaim).where(col(RunClaim.run_key).in_(run_keys))
    return {row.run_key: row for row in (await session.exec(statement)).all()}


async def complete(
    *, session: AsyncSession, run_key: str, worker: str, now: datetime, result: dict[str, Any]
) -> None:
    """Record that the work was done (e.g. Slack accepted the message, with its ts)."""
    await session.exec(
        update(RunClaim)
        .where(col(RunClaim.run_key) == run_key, col(RunClaim.claimed_by) == worker)
        .values(done_at=now, result=result, error=None)
    )


async def release(
    *, session: AsyncSession, run_key: str, worker: str, retry_at: datetime, error: str
) -> None:
    """Give the work back after a failure; any worker may retry it from `retry_at`."""
    await session.exec(
        update(RunClaim)
        .where(col(RunClaim.run_key) == run_key, col(RunClaim.claimed_by) == worker)
        .values(lease_until=retry_at, error=error[:500])
    )


async def fail(
    *, session: AsyncSession, run_key: str, worker: str, now: datetime, reason: str
) -> None:
    """End the work undone: retrying cannot help (Slack refused it for good, or every retry
    was used). It is final, like `complete`."""
    await session.exec(
        update(RunClaim)
        .where(col(RunClaim.run_key) == run_key, col(RunClaim.claimed_by) == worker)
        .values(done_at=now, result={"failed": reason[:200]}, error=reason[:500])
    )


async def give_up_stale(
    *, session: AsyncSession, kind: str, claimed_before: datetime, now: datetime
) -> int:
    """End every undone claim of `kind` last claimed before `claimed_before` (its window has
    passed, so no tick will retry it); returns how many."""
    statement = (
        update(RunClaim)
        .where(
            col(RunClaim.kind) == kind,
            col(RunClaim.done_at).is_(None),
            col(RunClaim.claimed_at) < claimed_before,
            col(RunClaim.lease_until) <= now,
        )
        .values(done_at=now, result={"failed": "its window passed"})
    )
    return int((await session.exec(statement)).rowcount)


async def get_claim(*, session: AsyncSession, run_key: str) -> RunClaim | None:
    """The claim row, if the work was ever claimed."""
    return await session.get(RunClaim, run_key)


async def done_keys(*, session: AsyncSession, run_keys: list[str]) -> set[str]:
    """Which of these run keys are already done."""
    if not run_keys:
        return set()
    statement = select(RunClaim.run_key).where(
        col(RunClaim.run_key).in_(run_keys), col(RunClaim.done_at).is_not(None)
    )
    return set((await session.exec(statement)).all())
