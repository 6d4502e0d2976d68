"""The metrics.yml of the end-to-end tests that break a source and mend it: dau from a CSV
beside it (which a test deletes and writes again), two formulas computed from dau, and a manual
metric no source feeds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

METRICS = """
metrics:
  dau:
    title: Daily active users
    source: {kind: csv, path: dau.csv}
  dau_k:
    title: DAU in thousands
    formula: dau / 1000
  dau_m:
    title: DAU in millions
    formula: dau / 1000000
  aov:
    title: Average order value
    unit: currency
    source: {kind: manual}
"""


def write_dau(folder: Path, until: date) -> None:
    """dau.csv: 150,000 a day for the ten days up to `until`."""
    days = [until - timedelta(days=n) for n in range(9, -1, -1)]
    rows = "".join(f"{day.isoformat()},150000\n" for day in days)
    (folder / "dau.csv").write_text("day,value\n" + rows, encoding="utf-8")


def dau_metrics(folder: Path, until: date) -> Path:
    """metrics.yml and its dau.csv (up to `until`) in `folder`; the metrics.yml path."""
    write_dau(folder, until)
    path = folder / "metrics.yml"
    path.write_text(METRICS, encoding="utf-8")
    return path
