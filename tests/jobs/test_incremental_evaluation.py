"""A pull re-evaluates only the goals on the series it changed (and any not yet evaluated that
day): the others' evaluation rows are left as they were, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.messenger import SlackMessenger
from bot.pacing import ChannelPacer
from bot.slack_client import build_client
from jobs.context import EngineContext
from jobs.engine import Engine
from jobs.metrics.catalog import parse_catalog
from jobs.metrics.sources import SourceFetcher
from storage.db import Database
from storage.models import Evaluation, Goal
from tests.conftest import BOT_TOKEN
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack

TODAY = date(2026, 11, 25)
MORNING = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
# (team, channel, metric): T1's dau is one series shared by two channels, T2 has its own.
GOALS = [("T1", "C1", "dau"), ("T1", "C2", "dau"), ("T2", "C1", "dau"), ("T1", "C1", "aov")]


def write_csv(path: Path, today_value: float, base: float) -> None:
    days = [TODAY - timedelta(days=n) for n in range(9, -1, -1)]
    values = [base] * 9 + [today_value]
    path.write_text(
        "day,value\n" + "".join(f"{d},{v}\n" for d, v in zip(days, values, strict=True))
    )


async def evaluations(database: Database) -> dict[str, tuple[str, float, datetime]]:
    """Today's stored (band, target, evaluated_at) of each goal, by 'team/channel/metric'."""
    async with database.transaction() as session:
        rows = (
            await session.exec(
                select(Goal, Evaluation)
                .join(Evaluation, col(Evaluation.goal_id) == col(Goal.id))
                .where(Evaluation.day == TODAY)
            )
        ).all()
    return {
        f"{goal.team_id}/{goal.channel_id}/{goal.metric_key}": (
            evaluation.band,
            evaluation.target,
            evaluation.evaluated_at,
        )
        for goal, evaluation in rows
    }


@pytest.mark.parametrize(
    ("changed_file", "reevaluated"),
    [
        pytest.param("dau.csv", {"T1/C1/dau", "T1/C2/dau", "T2/C1/dau"}, id="dau-changed"),
        pytest.param("aov.csv", {"T1/C1/aov"}, id="aov-changed"),
        pytest.param(None, set(), id="nothing-changed"),
    ],
)
async def test_pull_reevaluates_only_goals_on_changed_series(
    database: Database,
    fake_slack: FakeSlack,
    tmp_path: Path,
    changed_file: str | None,
    reevaluated: set[str],
) -> None:
    """Every goal's target is raised behind the engine's back between two pulls: only the
    goals on a series the second pull changed are evaluated again (new target, new time);
    the others keep today's row as the first pull stored it."""
    write_csv(tmp_path / "dau.csv", 1000.0, 1000.0)
    write_csv(tmp_path / "aov.csv", 50.0, 50.0)
    catalog = parse_catalog(
        {
            "metrics": {
                "dau": {"source": {"kind": "csv", "path": "dau.csv"}},
                "aov": {"unit": "currency", "source": {"kind": "csv", "path": "aov.csv"}},
            }
        },
        path=tmp_path / "metrics.yml",
    )
    async with database.transaction() as session:
        for team, channel, metric in GOALS:
            session.add(
                Goal(
                    team_id=team,
                    channel_id=channel,
                    metric_key=metric,
                    target=1000.0 if metric == "dau" else 50.0,
                    direction="higher",
                    unit="count",
                    created_by="U1",
                    created_at=MORNING,
                    updated_at=MORNING,
                )
            )
    clock = SettableClock(MORNING)
    messenger = SlackMessenger(
        build_client(BOT_TOKEN, api_url=fake_slack.api_url), pacer=ChannelPacer(interval=0)
    )
    engine = Engine(
        context=EngineContext(
            database=database, messenger=messenger, catalog=catalog, clock=clock, timezone="UTC"
        ),
        fetcher=SourceFetcher(base_dir=tmp_path, env={}),
    )
    await engine.pull()
    first = await evaluations(database)
    assert set(first) == {"/".join(goal) for goal in GOALS}

    async with database.transaction() as session:
        await session.exec(update(Goal).values(target=col(Goal.target) * 2))
    if changed_file is not None:
        write_csv(tmp_path / changed_file, 10.0, 1000.0 if changed_file == "dau.csv" else 50.0)
    clock.advance(timedelta(hours=1))
    await engine.pull()
    second = await evaluations(database)

    assert {key for key in second if second[key] != first[key]} == reevaluated
    for key in reevaluated:
        assert second[key][1] == first[key][1] * 2
        assert second[key][2] == MORNING + timedelta(hours=1)
