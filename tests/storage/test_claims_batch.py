"""Claiming a workspace's digests at once: each key held by one worker, lapsed leases taken over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import claims
from storage.db import Database

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def _claim(database: Database, keys: list[str], worker: str, now: datetime) -> dict[str, int]:
    async with database.transaction() as session:
        return await claims.claim_attempts(
            session=session,
            run_keys=keys,
            kind="digest",
            team_id="T1",
            worker=worker,
            now=now,
            lease_until=now + LEASE,
        )


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        pytest.param(timedelta(0), {"k3": 1}, id="held-keys-stay-held"),
        pytest.param(LEASE, {"k1": 2, "k3": 1}, id="lapsed-lease-taken-over"),
    ],
)
async def test_each_key_has_one_holder(
    database: Database, later: timedelta, expected: dict[str, int]
) -> None:
    """A second worker gets only keys nobody holds, or whose lease lapsed undone."""
    assert await _claim(database, ["k1", "k2"], "a", NOW) == {"k1": 1, "k2": 1}
    async with database.transaction() as session:
        await claims.complete(session=session, run_key="k2", worker="a", now=NOW, result={})
    assert await _claim(database, ["k1", "k2", "k3"], "b", NOW + later) == expected
    assert await _claim(database, [], "b", NOW) == {}
