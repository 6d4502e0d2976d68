"""CSV files: a date column and a value column, read with pandas off the event loop."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pandas as pd

from jobs.metrics.catalog import CsvSource
from jobs.metrics.sources.errors import SourceError
from jobs.metrics.sources.points import frame_points


async def fetch_csv(
    metric_key: str, source: CsvSource, *, base_dir: Path, since: date
) -> pd.DataFrame:
    """The file's days since `since`; a relative path is relative to metrics.yml's folder."""
    return await asyncio.to_thread(read_csv, metric_key, source, base_dir=base_dir, since=since)


def read_csv(metric_key: str, source: CsvSource, *, base_dir: Path, since: date) -> pd.DataFrame:
    """Blocking: read and validate the file (call it in a worker thread)."""
    path = source.path if source.path.is_absolute() else base_dir / source.path
    named = str(source.path)
    try:
        # Every cell as the text in the file, so the checks can say exactly what was there.
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
    except FileNotFoundError:
        where = "" if named == str(path) else f" (looked for {path})"
        raise SourceError(f"{metric_key}: CSV file {named} not found{where}") from None
    except UnicodeDecodeError:
        raise SourceError(f"{metric_key}: CSV file {named} is not UTF-8 text") from None
    except pd.errors.EmptyDataError:
        raise SourceError(f"{metric_key}: CSV file {named} is empty (no header line)") from None
    except pd.errors.ParserError as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        raise SourceError(f"{metric_key}: CSV file {named} is not valid CSV ({problem})") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SourceError(f"{metric_key}: cannot read CSV file {named} ({reason})") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas takes surplus leading fields as an index, which would shift every column.
        raise SourceError(
            f"{metric_key}: CSV file {named} is not valid CSV (rows have more fields than the"
            " header line)"
        )
    frame.columns = pd.Index([str(column).strip() for column in frame.columns])
    return frame_points(
        metric_key,
        frame,
        date_column=source.date_column,
        value_column=source.value_column,
        since=since,
        origin=named,
    )
