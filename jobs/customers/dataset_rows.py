"""One statement run where a dataset lives: read-only in its database (sql_aggregates.py), or by
DuckDB over its files (file_aggregates.py). The one place that tells the two apart."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd

from jobs.customers.aggregates import Window
from jobs.customers.datasets import ActivityDataset, OrdersDataset
from jobs.customers.file_aggregates import file_rows
from jobs.customers.sql_aggregates import DAY_ROWS, Build, RowCap, sql_rows
from jobs.metrics.sources.sql import SqlRunner

DatasetName = Literal["orders", "activity"]


async def dataset_rows(
    name: DatasetName,
    dataset: OrdersDataset | ActivityDataset,
    build: Build,
    *,
    zone: ZoneInfo,
    window: Window,
    runner: SqlRunner,
    base_dir: Path,
    env: Mapping[str, str],
    cap: RowCap = DAY_ROWS,
) -> pd.DataFrame:
    """The rows of the statement `build` makes over the dataset; local days are exact in
    `window`. A failure, or more rows than `cap`, is a SourceError naming the dataset."""
    label = f"{name} dataset"
    columns = [value for value in dataset.columns.model_dump().values() if value is not None]
    if dataset.sql is not None:
        return await sql_rows(
            label,
            dataset.sql,
            build,
            columns,
            timestamps=dataset.timestamps,
            zone=zone,
            window=window,
            runner=runner,
            env=env,
            base_dir=base_dir,
            cap=cap,
        )
    assert dataset.files is not None  # a dataset has exactly one of sql and files
    return await file_rows(
        label,
        dataset.files,
        build,
        columns,
        at=dataset.columns.at,
        view=name,
        timestamps=dataset.timestamps,
        zone=zone,
        window=window,
        base_dir=base_dir,
        cap=cap,
    )
