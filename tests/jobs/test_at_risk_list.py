"""Making a goal's at-risk list (jobs/goals/at_risk_list.py) from a real orders file: the lapsed
customers and no others, and each way there is no list as one line that names no location."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from jobs.customers.datasets import Datasets
from jobs.customers.measures import AT_RISK_COLUMNS
from jobs.goals.at_risk_list import ListRequest, ListUnavailable, at_risk_list
from tests.support.lapsed_orders import LAPSED, ORDERS, write_orders

DAY = date(2026, 11, 25)
DATASETS = Datasets.model_validate({"orders": ORDERS})
REQUEST = ListRequest(goal_id=1, metric_key="at_risk", measure="customers_at_risk")


async def made(folder: Path, datasets: Datasets = DATASETS, **limits: float) -> list[str]:
    """The ids on the list as of DAY, from the orders in `folder`."""
    found = await at_risk_list(
        REQUEST, datasets, as_of=DAY, timezone="Europe/Berlin", base_dir=folder, env={}, **limits
    )
    assert tuple(found.customers.columns) == AT_RISK_COLUMNS
    return list(found.customers["customer_id"])


async def test_the_lapsed_customers_and_only_they_are_listed(tmp_path: Path) -> None:
    write_orders(tmp_path, DAY)
    assert sorted(await made(tmp_path)) == sorted(LAPSED)


async def test_the_list_is_as_of_the_day_asked(tmp_path: Path) -> None:
    """Two months earlier the lapsed customers still bought every five days: nobody lapsed."""
    write_orders(tmp_path, DAY)
    found = await at_risk_list(
        REQUEST,
        DATASETS,
        as_of=DAY - timedelta(days=60),
        timezone="Europe/Berlin",
        base_dir=tmp_path,
        env={},
    )
    assert found.count == 0


@pytest.mark.parametrize(
    ("setup", "datasets", "seconds", "reason"),
    [
        pytest.param(
            "nothing",
            DATASETS,
            60.0,
            "the orders dataset could not be read (no csv files found)",
            id="no-files",
        ),
        pytest.param(
            "orders",
            Datasets(),
            60.0,
            "no orders dataset is declared in metrics.yml",
            id="not-declared",
        ),
        pytest.param(
            "one-customer",
            DATASETS,
            60.0,
            "the churn model could not be fitted (too few customers, or none who ever came back)",
            id="model-not-fitted",
        ),
        pytest.param(
            "orders",
            DATASETS,
            1e-6,
            "scoring the customers took longer than 1e-06 s",
            id="too-slow",
        ),
    ],
)
async def test_no_list_is_one_line_naming_no_location(
    tmp_path: Path, setup: str, datasets: Datasets, seconds: float, reason: str
) -> None:
    if setup == "orders":
        write_orders(tmp_path, DAY)
    if setup == "one-customer":
        (tmp_path / "orders").mkdir()
        (tmp_path / "orders" / "orders.csv").write_text(
            "order_id,customer_id,ordered_at,amount\no1,c1,2026-11-01T12:00:00,10\n",
            encoding="utf-8",
        )
    with pytest.raises(ListUnavailable) as raised:
        await made(tmp_path, datasets, seconds=seconds)
    assert raised.value.reason == reason
    assert str(tmp_path) not in raised.value.reason
