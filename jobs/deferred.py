"""The engine's heavy modules (pandas, numpy, DuckDB, SciPy), imported when first needed and
never on the event loop.

Start-up imports none of them (tests/bot/test_lazy_imports.py checks), so `goalpulse run`
answers /healthz without waiting for them. `preload()` imports HEAVY_MODULES in a worker thread:
the scheduler's first tick calls it (jobs/scheduler.py), and so does every step below, so
whichever comes first pays for the import while the event loop keeps answering Slack.

`evaluate`, `pull` and `reality_check` are the real functions to the type checker. At run time
`evaluate` and `pull` await `preload()` first, then call the real one; `reality_check` is not a
coroutine, so its callers await `preload()` before calling it (else it imports on the loop).
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from typing import TYPE_CHECKING, Any

# Importing these imports everything heavy the engine and the bot's commands use: the metric
# sources and customer datasets (pandas, DuckDB, SciPy), classification (numpy), the reality
# check. Charts (matplotlib) are drawn in a process of their own and are not here.
HEAVY_MODULES = (
    "jobs.metrics.pull",
    "jobs.evaluation.service",
    "jobs.customers.scored",
    "jobs.goals.reality",
)

# Set once every module in HEAVY_MODULES has finished importing (sys.modules holds a module
# from the start of its import, so it cannot tell).
_imported = threading.Event()


async def preload() -> None:
    """Import HEAVY_MODULES in a worker thread; at once when they already are. Safe to call
    from several tasks: Python's import locks make the later ones wait for the first."""
    if not _imported.is_set():
        await asyncio.to_thread(_import_all)


def _import_all() -> None:
    for name in HEAVY_MODULES:
        importlib.import_module(name)
    _imported.set()


if TYPE_CHECKING:
    from jobs.evaluation.service import evaluate
    from jobs.goals.reality import reality_check
    from jobs.metrics.pull import pull
else:

    async def evaluate(**kwargs: Any) -> Any:
        await preload()
        from jobs.evaluation.service import evaluate

        return await evaluate(**kwargs)

    async def pull(**kwargs: Any) -> Any:
        await preload()
        from jobs.metrics.pull import pull

        return await pull(**kwargs)

    def reality_check(*args: Any, **kwargs: Any) -> Any:
        from jobs.goals.reality import reality_check

        return reality_check(*args, **kwargs)


__all__ = ["HEAVY_MODULES", "evaluate", "preload", "pull", "reality_check"]
