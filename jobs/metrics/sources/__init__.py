"""Metric sources: pull a metric's daily values from SQL, CSV or HTTP, and derive formulas.

`SourceFetcher.fetch` returns a checked (day, value) frame or raises `SourceError` with one
line for people; `derive` computes a formula metric from its inputs' frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs.metrics.sources.errors import SourceError
from jobs.metrics.sources.fetcher import SourceFetcher

if TYPE_CHECKING:
    from jobs.metrics.sources.formula import derive

__all__ = ["SourceError", "SourceFetcher", "derive"]


def __getattr__(name: str) -> object:
    """`derive` needs pandas: it is imported when first asked for, not with the package."""
    if name == "derive":
        from jobs.metrics.sources.formula import derive

        return derive
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
