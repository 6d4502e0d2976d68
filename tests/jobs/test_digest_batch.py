"""A workspace's digests built together are the digests each channel builds alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.digest.build import build_digest, build_digests
from jobs.evaluation.service import evaluate
from jobs.goals.service import Actor, GoalChange, set_goal
from jobs.metrics.pull import pull
from jobs.metrics.sources import SourceFetcher
from storage.db import Database
from tests.jobs.test_pull import NOW, TEAM, TODAY, catalog_in


async def _yes() -> bool:
    return True


@pytest.mark.parametrize(
    "goals",
    [
        pytest.param({"C1": [("dau", 150_000.0)]}, id="one-channel"),
        pytest.param(
            {
                "C1": [("dau", 150_000.0), ("aov", 100.0)],
                "C2": [("aov", 90.0), ("retention_7d", 0.2), ("conversion_rate", 0.03)],
            },
            id="channels-sharing-a-metric",
        ),
    ],
)
async def test_built_together_as_alone(
    database: Database, tmp_path: Path, goals: dict[str, list[tuple[str, float]]]
) -> None:
    """Every channel's digest (and none for a channel without goals) is the same either way."""
    catalog = catalog_in(tmp_path, "garbage")
    async with database.transaction() as session:
        for channel, wanted in goals.items():
            for key, target in wanted:
                await set_goal(
                    session=session,
                    catalog=catalog,
                    team_id=TEAM,
                    channel_id=channel,
                    actor=Actor("U1", _yes),
                    change=GoalChange(key, target),
                    now=NOW,
                )
    fetcher = SourceFetcher(base_dir=tmp_path, env={})
    try:
        await pull(database=database, fetcher=fetcher, catalog=catalog, today=TODAY, now=NOW)
    finally:
        await fetcher.close()
    await evaluate(database=database, day=TODAY, now=NOW)
    channels = [*goals, "C9"]
    async with database.transaction() as session:
        together = await build_digests(
            session=session,
            catalog=catalog,
            team_id=TEAM,
            wanted=[(channel, TODAY, "UTC") for channel in channels],
            day=TODAY,
            now=NOW,
        )
        alone = {
            channel: await build_digest(
                session=session,
                catalog=catalog,
                team_id=TEAM,
                channel_id=channel,
                local_date=TODAY,
                timezone="UTC",
                day=TODAY,
                now=NOW,
            )
            for channel in channels
        }
    assert set(together) == set(goals)
    assert {channel: together.get(channel) for channel in channels} == alone
