"""Evaluation's reads and classification in a process of its own, so that its CPU never holds
the interpreter the bot's event loop answers Slack with.

One spawned process (started on first need) opens its own engine on the database URL, kept for
the process's life, reads the goals and points and classifies them (jobs/evaluation/service.py
`classified`), and sends back the results as a DataFrame of columns and the workspaces as a
Categorical: numpy arrays to pickle, not a row object per goal. Storing and escalating stay in
the bot (jobs/evaluation/service.py `evaluate`).

A call that outlives `timeout` (shorter than the claim lease around the run, jobs/context.py
SendTiming) kills the process and fails; a crashed process (BrokenProcessPool) is logged and
that call is evaluated in the bot's process instead. Either way the next call starts a new one.

Only the standard library is imported here: the bot imports this module at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from jobs.customers.datasets import Benchmark
    from jobs.evaluation.policy import EvaluationPolicy
    from storage.db import Database
    from storage.points import Changed

log = logging.getLogger(__name__)

# How long a stopping bot waits for a busy worker before killing it.
CLOSE_GRACE_SECONDS = 5.0
# How often the worker looks whether the bot's process is still there.
PARENT_POLL_SECONDS = 1.0


class EvaluationWorker:
    """The bot's evaluation process: `classified` as jobs/evaluation/service.py has it, run
    there. `pid` is the process that answered the last call (the bot's own after a fallback)."""

    def __init__(self, database: Database, *, timeout: timedelta) -> None:
        if timeout <= timedelta(0):
            raise ValueError("the evaluation worker's timeout must be positive")
        self.database = database
        self.timeout = timeout
        self.pid: int | None = None
        self._executor: ProcessPoolExecutor | None = None

    async def classified(
        self,
        *,
        day: date,
        policy: EvaluationPolicy,
        narrowed: dict[str, Any],
        changed: Changed | None,
        benchmarks: Mapping[str, Benchmark | None],
    ) -> tuple[pd.DataFrame, list[str]] | None:
        """The goals to evaluate, classified, with their workspaces; None when there are none."""
        arguments: dict[str, Any] = {
            "day": day,
            "policy": policy,
            "narrowed": narrowed,
            "changed": changed,
            "benchmarks": dict(benchmarks),
        }
        executor = self._started()
        try:
            future = executor.submit(_classify_here, self.database.url, arguments)
            pid, found = await asyncio.wait_for(
                asyncio.wrap_future(future), self.timeout.total_seconds()
            )
        except TimeoutError:
            self._stop(executor, kill=True)
            raise TimeoutError(
                f"evaluation worker gave no answer in {self.timeout.total_seconds():.0f} s"
            ) from None
        except BrokenProcessPool as exc:
            log.warning("evaluation worker crashed (%s): evaluating in this process", exc)
            self._stop(executor, kill=True)
            from jobs.evaluation.service import classified

            self.pid = os.getpid()
            return await classified(database=self.database, **arguments)
        self.pid = pid
        if found is None:
            return None
        results, teams = found
        return results, cast("list[str]", teams.tolist())

    async def close(self) -> None:
        """Stop the process: it finishes the call it is on for up to CLOSE_GRACE_SECONDS."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(_processes(executor))
        executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(_join, processes, CLOSE_GRACE_SECONDS)

    def _started(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
        return self._executor

    def _stop(self, executor: ProcessPoolExecutor, *, kill: bool) -> None:
        """Drop this executor (the next call starts another), killing its process."""
        if self._executor is executor:
            self._executor = None
        if kill:
            for process in _processes(executor):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)


def _processes(executor: ProcessPoolExecutor) -> list[Any]:
    """The executor's live processes (none before its first call)."""
    return list((getattr(executor, "_processes", None) or {}).values())


def _join(processes: list[Any], grace: float) -> None:
    for process in processes:
        process.join(grace)
        if process.is_alive():
            process.kill()
            process.join()


def _watch_parent(parent: int) -> None:
    """In the worker: end when the bot's process is gone (killed, it cannot stop us)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


# In the worker process: its event loop and database, made on its first call, kept for its life.
_opened: tuple[asyncio.AbstractEventLoop, Database] | None = None


def _classify_here(
    url: str, arguments: dict[str, Any]
) -> tuple[int, tuple[pd.DataFrame, Any] | None]:
    """In the worker: read and classify on its own connection; results as columns."""
    global _opened
    import pandas as pd

    from jobs.evaluation.service import classified
    from storage.db import Database

    if _opened is None:
        _opened = (asyncio.new_event_loop(), Database(url))
    loop, database = _opened
    found = loop.run_until_complete(classified(database=database, **arguments))
    if found is None:
        return os.getpid(), None
    results, teams = found
    return os.getpid(), (results, pd.Categorical(teams))
