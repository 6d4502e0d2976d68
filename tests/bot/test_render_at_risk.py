"""The at-risk list as people see it: `/goal show`'s button (bot.render.goal_detail) only on a
goal whose metric is an at-risk measure, and the DMs of bot.render.at_risk."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from bot.constants import AT_RISK_LIST_ACTION
from bot.render.at_risk import (
    BUTTON_TEXT,
    list_comment,
    list_failed_text,
    list_title,
    nobody_at_risk_text,
)
from bot.render.goal_detail import goal_detail_blocks
from jobs.customers.measures import AT_RISK_COLUMNS
from jobs.goals.at_risk_list import AtRiskList, ListRequest
from jobs.metrics.catalog import parse_catalog
from storage.models import Goal
from tests.support.fake_slack import block_errors

DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
CATALOG = parse_catalog(
    {
        "datasets": {
            "orders": {
                "files": "orders/*.csv",
                "columns": {"customer": "customer_id", "at": "ordered_at", "amount": "amount"},
            }
        },
        "metrics": {
            "at_risk": {"source": {"kind": "dataset", "measure": "customers_at_risk"}},
            "hv_at_risk": {"source": {"kind": "dataset", "measure": "high_value_at_risk"}},
            "revenue": {"source": {"kind": "dataset", "measure": "revenue_at_risk"}},
            "hv_share": {"source": {"kind": "dataset", "measure": "high_value_share"}},
            "expected": {"source": {"kind": "dataset", "measure": "expected_orders_45d"}},
            "dau": {"source": {"kind": "manual"}},
        },
    },
    path=Path("metrics.yml"),
)
REQUEST = ListRequest(goal_id=7, metric_key="at_risk", measure="customers_at_risk")


def buttons(key: str, *, known: bool = True) -> list[dict[str, object]]:
    """The at-risk list buttons in `/goal show` of a goal on `key` (its metric unknown to the
    catalog when not `known`)."""
    goal = Goal(
        id=7, team_id="T0001", channel_id="C0001", metric_key=key, target=10, direction="lower",
        unit="count", created_by="U0ANA", created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    blocks = [b.to_dict() for b in goal_detail_blocks(goal, CATALOG.get(key) if known else None)]
    assert block_errors(blocks) == []
    return [
        element
        for block in blocks
        for element in block.get("elements", [])
        if element.get("action_id") == AT_RISK_LIST_ACTION
    ]


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("at_risk", id="customers-at-risk"),
        pytest.param("hv_at_risk", id="high-value-at-risk"),
        pytest.param("revenue", id="revenue-at-risk"),
    ],
)
def test_a_goal_on_an_at_risk_measure_has_the_button(key: str) -> None:
    """One button, carrying the goal's id; the list is made only when it is pressed."""
    [button] = buttons(key)
    assert button["text"] == {"type": "plain_text", "text": BUTTON_TEXT, "emoji": True}
    assert button["value"] == "7"


@pytest.mark.parametrize(
    ("key", "known"),
    [
        pytest.param("hv_share", True, id="tier-share"),
        pytest.param("expected", True, id="expected-orders"),
        pytest.param("dau", True, id="manual"),
        pytest.param("at_risk", False, id="metric-gone-from-the-catalog"),
    ],
)
def test_any_other_goal_has_no_button(key: str, known: bool) -> None:
    assert buttons(key, known=known) == []


def listed(*ids: str) -> AtRiskList:
    rows = [(i, "potential", 1, 4, 4, 0.99, 0.02, 450.5) for i in ids]
    return AtRiskList(REQUEST, DAY, pd.DataFrame(rows, columns=list(AT_RISK_COLUMNS)))


def test_the_file_is_ids_and_scores_under_the_columns_header() -> None:
    made = listed("c-1", "c,2")
    [header, *rows] = list(csv.reader(io.StringIO(made.csv().decode("utf-8"))))
    assert tuple(header) == AT_RISK_COLUMNS
    assert [row[0] for row in rows] == ["c-1", "c,2"]
    assert made.file_name == "at_risk-at-risk-2026-11-25.csv"
    assert list_title(made) == "at_risk: customers at risk as of 2026-11-25"


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        pytest.param(listed("a", "b"), "*2 customers at risk* on `at_risk`", id="two"),
        pytest.param(listed("a"), "*1 customer at risk* on `at_risk`", id="one"),
        pytest.param(
            AtRiskList(
                ListRequest(7, "hv", "high_value_at_risk"),
                DAY,
                listed("a", "b", "c").customers,
            ),
            "*3 high-value customers at risk* on `hv`",
            id="high-value",
        ),
    ],
)
def test_the_comment_says_how_many_on_which_metric_and_when(
    made: AtRiskList, expected: str
) -> None:
    comment = list_comment(made)
    assert expected in comment
    assert "as of Wed 25 Nov 2026" in comment


def test_nobody_and_failure_are_one_line_each() -> None:
    """The empty list and a failure are DMs of one line; the reason is shown inert."""
    assert nobody_at_risk_text(REQUEST, DAY) == (
        ":white_check_mark: Nobody is at risk on `at_risk` as of Wed 25 Nov 2026: there is no "
        "list to send."
    )
    failed = list_failed_text(REQUEST, "the orders dataset could not be read (<!here>)")
    assert "\n" not in failed
    assert "<!here>" not in failed
    assert failed.endswith("could not be read (&lt;!here&gt;).")
