"""`SourceFetcher`: one metric's days from wherever metrics.yml says they live.

Importing this module imports no pandas: each kind's reader (csv.py, sql.py, http.py) is imported
on the first fetch, so a process can hold a fetcher from start-up (bot/runtime.py) without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp

from jobs.customers.datasets import DatasetSource
from jobs.metrics.catalog import CsvSource, HttpSource, Metric, SqlSource

if TYPE_CHECKING:
    import pandas as pd

    from jobs.metrics.sources.sql import SqlRunner


class SourceFetcher:
    """Fetches sourced metrics (SQL, CSV, HTTP); holds SQL engines and an HTTP session.

    Dataset metrics are not fetched one by one: a pull computes them together
    (jobs/metrics/pull.py `pull_datasets`), from this fetcher's `base_dir` and `env`.

    `base_dir` is the folder of metrics.yml (relative CSV and SQLite paths resolve against
    it); `env` fills `${NAME}` in SQL URLs; `http` is the shared session (one is made, and
    closed by `close()`, when none is given).
    """

    def __init__(
        self,
        *,
        base_dir: Path,
        env: Mapping[str, str],
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base_dir = base_dir
        self._env = env
        self._http = http
        self._own_http: aiohttp.ClientSession | None = None
        self._sql: SqlRunner | None = None  # made on the first SQL fetch

    @property
    def base_dir(self) -> Path:
        """The folder of metrics.yml: relative paths (CSV files, dataset globs) start here."""
        return self._base_dir

    @property
    def env(self) -> Mapping[str, str]:
        """Where `${NAME}` in a URL is looked up."""
        return self._env

    async def fetch(self, metric: Metric, *, since: date) -> pd.DataFrame:
        """Columns `day` (datetime.date) and `value` (float): one row per day >= since, sorted.

        Raises SourceError (one line, starting with the metric key) when the source fails or
        gives bad data, and ValueError for a manual, formula or dataset metric, which are not
        fetched.
        """
        source = metric.source
        if source is None:
            raise ValueError(f"{metric.key} is a formula metric: compute it with derive()")
        if isinstance(source, DatasetSource):
            raise ValueError(
                f"{metric.key} is computed from the datasets: pull it with pull_datasets()"
            )
        if isinstance(source, CsvSource):
            from jobs.metrics.sources.csv import fetch_csv

            return await fetch_csv(metric.key, source, base_dir=self._base_dir, since=since)
        if isinstance(source, SqlSource):
            return await self._sql_runner().fetch(
                metric.key, source, env=self._env, base_dir=self._base_dir, since=since
            )
        if isinstance(source, HttpSource):
            from jobs.metrics.sources.http import fetch_http

            return await fetch_http(metric.key, source, session=self._session(), since=since)
        raise ValueError(f"{metric.key} is a manual metric: people check its values in")

    async def close(self) -> None:
        """Dispose SQL engines; close the HTTP session if this fetcher made it."""
        if self._sql is not None:
            await self._sql.close()
        if self._own_http is not None:
            session, self._own_http = self._own_http, None
            await session.close()

    def _sql_runner(self) -> SqlRunner:
        if self._sql is None:
            from jobs.metrics.sources.sql import SqlRunner

            self._sql = SqlRunner()
        return self._sql

    def _session(self) -> aiohttp.ClientSession:
        if self._http is not None:
            return self._http
        if self._own_http is None or self._own_http.closed:
            self._own_http = aiohttp.ClientSession()
        return self._own_http
