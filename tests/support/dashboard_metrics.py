"""The customer datasets and the dataset metrics of a user-health dashboard, as metrics.yml
declares them: the dashboard's tests and the benchmark's end-to-end test share them. Nothing
reads the datasets' files: they only need declaring."""

from __future__ import annotations

from typing import Any

DATASETS: dict[str, Any] = {
    "orders": {
        "files": "orders/*.csv",
        "columns": {"customer": "customer_id", "at": "ordered_at", "amount": "amount"},
    },
    "activity": {"files": "activity/*.parquet", "columns": {"user": "user_id", "at": "seen_at"}},
}
# The health index, its three factors (active rate with a benchmark), and AOV volatility.
METRICS: dict[str, dict[str, Any]] = {
    "active_rate": {
        "title": "Active rate",
        "source": {"kind": "dataset", "measure": "active_rate_30d"},
        "benchmark": {"value": "35%", "warn_below": "15%"},  # warn under 29.75%
    },
    "retention": {
        "title": "7-day retention",
        "source": {"kind": "dataset", "measure": "retention_7d"},
    },
    "aov_month": {
        "title": "30-day AOV",
        "currency": "¥",
        "source": {"kind": "dataset", "measure": "aov_30d"},
    },
    "health": {
        "title": "User health index",
        "currency": "¥",
        "source": {"kind": "dataset", "measure": "health_index"},
    },
    "aov_swing": {"source": {"kind": "dataset", "measure": "aov_volatility"}},
}
