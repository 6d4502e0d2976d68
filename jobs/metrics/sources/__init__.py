"""Metric sources: pull a metric's daily values from SQL, CSV or HTTP, and derive formulas.

`SourceFetcher.fetch` returns a checked (day, value) frame or raises `SourceError` with one
line for people; `derive` computes a formula metric from its inputs' frames.
"""

from __future__ import annotations

from jobs.metrics.sources.errors import SourceError
from jobs.metrics.sources.fetcher import SourceFetcher
from jobs.metrics.sources.formula import derive

__all__ = ["SourceError", "SourceFetcher", "derive"]
