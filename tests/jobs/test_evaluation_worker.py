"""The bot's evaluation worker: goals read and classified in a process of its own, with the same
results as in the bot's; a crashed worker's run falls back to the bot, a slow one fails in time,
and the next run starts a new worker."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from datetime import timedelta
from typing import Any

import pytest

from bot.runtime import start_bot
from bot.settings import Settings
from jobs.evaluation.service import evaluate
from jobs.evaluation.worker import EvaluationWorker
from storage.db import Database
from tests.jobs.test_evaluation_step import DAY, NOW, expected, same, seed, stored_as
from tests.support.charts import CHART_THREAD


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def check_rows(database: Database, rows: list[dict[str, Any]], by_id: Any) -> None:
    """The rows are what the per-goal reference says, for every active goal."""
    want = await expected(database, by_id, DAY)
    assert sorted(row["goal_id"] for row in rows) == sorted(want)
    for row in rows:
        reference = stored_as(want[row["goal_id"]])
        assert all(same(row[key], reference[key]) for key in reference), row


async def test_the_bot_evaluates_in_a_process_of_its_own(bot_settings: Settings) -> None:
    running = await start_bot(
        bot_settings, host="127.0.0.1", schedule=False, chart_executor=CHART_THREAD
    )
    try:
        database = running.services.database
        by_id = await seed(database)
        worker = running.services.engine.evaluation_worker
        assert worker is not None
        rows = await evaluate(database=database, day=DAY, now=NOW, worker=worker)
        await check_rows(database, rows, by_id)
        assert worker.pid is not None
        assert worker.pid != os.getpid()
        pid = worker.pid
    finally:
        await running.stop()
    assert not alive(pid), "the bot stopped, its evaluation worker did not"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the same on both
@pytest.mark.parametrize(
    "trouble",
    [
        pytest.param("crash", id="a crashed worker: that run in the bot, the next in a new one"),
        pytest.param("slow", id="a slow worker: killed at its timeout, the next in a new one"),
    ],
)
async def test_a_failed_worker_is_replaced(
    database: Database, trouble: str, caplog: pytest.LogCaptureFixture
) -> None:
    by_id = await seed(database)
    worker = EvaluationWorker(database, timeout=timedelta(minutes=2))
    try:
        await evaluate(database=database, day=DAY, now=NOW, worker=worker)
        first = worker.pid
        assert first is not None
        assert first != os.getpid()
        if trouble == "crash":
            os.kill(first, signal.SIGKILL)
            with caplog.at_level(logging.WARNING, logger="jobs.evaluation.worker"):
                rows = await evaluate(database=database, day=DAY, now=NOW, worker=worker)
            assert "evaluation worker crashed" in caplog.text
            assert worker.pid == os.getpid()  # this run: in the bot's process
            await check_rows(database, rows, by_id)
        else:
            worker.timeout = timedelta(microseconds=1)
            with pytest.raises(TimeoutError, match="evaluation worker gave no answer"):
                await evaluate(database=database, day=DAY, now=NOW, worker=worker)
            assert not alive(first) or _reaped(first)
            worker.timeout = timedelta(minutes=2)
        rows = await evaluate(database=database, day=DAY, now=NOW, worker=worker)
        assert worker.pid not in (None, first, os.getpid())
        await check_rows(database, rows, by_id)
    finally:
        await worker.close()


def _reaped(pid: int) -> bool:
    """Whether a killed child is gone once waited for (a zombie until then)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    return not alive(pid)
