"""Where the bots under test draw their digest charts: one thread, shared by every bot a test
worker starts. In production each bot draws in a process of its own (bot/messenger.py), which
costs seconds of start-up per bot; the drawing itself is the same code either way. The digest
end-to-end tests (tests/bot/test_digest_e2e.py) keep the real process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

# Never shut down by a bot: ChartUploads leaves an executor it was given alone.
CHART_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")
