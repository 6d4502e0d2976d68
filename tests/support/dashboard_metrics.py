"""The customer datasets, the dataset metrics of a user-health dashboard and those of a
customer-tier line, as metrics.yml declares them: the dashboard's and tier line's tests and the
end-to-end tests share them. Nothing reads the datasets' files: they only need declaring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

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
# The four tiers' shares, and the goals a tier line is for: customers at risk (all, and the
# high-value tier's), a move between tiers (about the churned tier) and one about no tier.
TIER_METRICS: dict[str, dict[str, Any]] = {
    "hv_share": {"source": {"kind": "dataset", "measure": "high_value_share"}},
    "potential": {"source": {"kind": "dataset", "measure": "potential_share"}},
    "new": {"source": {"kind": "dataset", "measure": "new_share"}},
    "churned": {"source": {"kind": "dataset", "measure": "churned_share"}},
    "at_risk": {"source": {"kind": "dataset", "measure": "customers_at_risk"}},
    "hv_at_risk": {"source": {"kind": "dataset", "measure": "high_value_at_risk"}},
    "lapsing": {"source": {"kind": "dataset", "measure": "moved_potential_to_churned"}},
    "expected": {"source": {"kind": "dataset", "measure": "expected_orders_45d"}},
}


def write_metrics_yml(folder: Path, metrics: dict[str, dict[str, Any]]) -> Path:
    """`folder`/metrics.yml declaring DATASETS and `metrics`."""
    path = folder / "metrics.yml"
    document = {"datasets": DATASETS, "metrics": metrics}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path
