"""The outbox's claims are fenced: a worker whose lease lapsed and was taken over writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from tests.support.rows import sent_rows

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def queued(database: Database) -> OutboxMessage:
    async with database.transaction() as session:
        await outbox.enqueue(
            session=session,
            messages=[
                OutboxMessage(
                    run_key="note:1:test:1",
                    team_id="T1",
                    goal_id=1,
                    kind="note",
                    due_at=NOW,
                    created_at=NOW,
                )
            ],
        )
        [row] = await outbox.due(session=session, now=NOW)
    return row


async def test_a_lapsed_claim_taken_over_cannot_complete(database: Database) -> None:
    """A stalls past its lease, B takes the row over and sends it: A's late result is refused,
    so the row records B's send alone."""
    row = await queued(database)
    async with database.transaction() as session:
        token_a = await outbox.claim(
            session=session, message=row, worker="A", now=NOW, lease_until=NOW + LEASE
        )
    later = NOW + LEASE + timedelta(seconds=1)
    async with database.transaction() as session:
        [again] = await outbox.due(session=session, now=later)
        token_b = await outbox.claim(
            session=session, message=again, worker="B", now=later, lease_until=later + LEASE
        )
    assert (token_a, token_b) == (1, 2)

    async with database.transaction() as session:
        late = await outbox.complete(
            session=session,
            message_id=row.id or 0,
            worker="A",
            token=1,
            now=later,
            result={"ts": "A"},
        )
        on_time = await outbox.complete(
            session=session,
            message_id=row.id or 0,
            worker="B",
            token=2,
            now=later,
            result={"ts": "B"},
        )
        [stored] = await sent_rows(session=session, team_id="T1")
    assert (late, on_time) == (False, True)
    assert (stored.state, stored.result) == ("sent", {"ts": "B"})


async def test_a_claim_on_a_stale_read_is_refused(database: Database) -> None:
    """Two workers read the same due row; only the first claim lands, the second gets None."""
    row = await queued(database)
    async with database.transaction() as session:
        first = await outbox.claim(
            session=session, message=row, worker="A", now=NOW, lease_until=NOW + LEASE
        )
        second = await outbox.claim(
            session=session, message=row, worker="B", now=NOW, lease_until=NOW + LEASE
        )
    assert (first, second) == (1, None)


@pytest.mark.parametrize(
    ("ending", "state"),
    [pytest.param("fail", "failed", id="failed"), pytest.param("skip", "skipped", id="skipped")],
)
async def test_an_ended_row_is_never_due_again(database: Database, ending: str, state: str) -> None:
    """Failed or skipped, a row is final: nothing claims it again."""
    row = await queued(database)
    async with database.transaction() as session:
        token = await outbox.claim(
            session=session, message=row, worker="A", now=NOW, lease_until=NOW + LEASE
        )
        assert token is not None
        held = {"message_id": row.id or 0, "worker": "A", "token": token, "now": NOW}
        if ending == "fail":
            assert await outbox.fail(session=session, **held, reason="not_in_channel (C1)")
        else:
            assert await outbox.complete(
                session=session, **held, result={"skipped": "x"}, state="skipped"
            )
    async with database.transaction() as session:
        assert await outbox.due(session=session, now=NOW + timedelta(days=1)) == []
        [stored] = await sent_rows(session=session, team_id="T1")
    assert stored.state == state
