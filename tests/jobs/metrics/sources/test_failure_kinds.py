"""`failure_kind`: the few words a channel sees about a failing source, from the stored line."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.metrics.sources.errors import KINDS, UNRECOGNISED, SourceError, failure_kind
from tests.jobs.metrics.sources.test_http import FAILURES

URL = "https://bi.example/api/kpi"
SECRET_KEYS = "'Code', 'AccessKeyId', 'SecretAccessKey', 'Token'"

LINES = [
    # HTTP
    pytest.param(f"kpi: {URL} answered HTTP 500 Internal Server Error", "HTTP 500", id="http-500"),
    pytest.param(f"kpi: {URL} answered HTTP 404", "HTTP 404", id="http-404-no-reason"),
    pytest.param(f"kpi: {URL} did not answer within 15 s", "timed out", id="http-timeout"),
    pytest.param(
        f"kpi: {URL} redirected to another host (http://169.254.169.254), which is refused"
        " (`redirects: any` would follow it)",
        "redirect to another host refused",
        id="redirect-refused",
    ),
    pytest.param(
        f"kpi: cannot fetch {URL}: Cannot connect to host bi.example:443 ssl:default",
        "request failed",
        id="cannot-fetch",
    ),
    pytest.param(f"kpi: {URL} sent more than 20 MB", "response too large", id="too-large"),
    pytest.param(
        f"kpi: {URL} did not send JSON (content type text/html)", "not valid JSON", id="not-json"
    ),
    pytest.param(
        f"kpi: the JSON from {URL} has no 'data' (records: data); it is an object with keys"
        f" {SECRET_KEYS}",
        "records not found in the JSON",
        id="records-path-missing",
    ),
    pytest.param(
        f"kpi: records from {URL} must be objects; record 1 is not (the first is a number)",
        "records are not objects",
        id="records-not-objects",
    ),
    pytest.param(
        f"kpi: field 'rate' is missing in record 2 from {URL}", "missing field", id="field-missing"
    ),
    # CSV
    pytest.param(
        "dau: CSV file data/dau.csv not found (looked for /srv/data/dau.csv)",
        "CSV file not found",
        id="csv-not-found",
    ),
    pytest.param("dau: CSV file dau.csv is not UTF-8 text", "CSV file is not UTF-8", id="csv-utf8"),
    pytest.param(
        "dau: CSV file dau.csv is not valid CSV (Error tokenizing data)",
        "not valid CSV",
        id="csv-invalid",
    ),
    # Customer datasets
    pytest.param(
        "orders dataset: no parquet files match /data/orders-*.parquet",
        "no parquet files found",
        id="dataset-no-files",
    ),
    pytest.param(
        "activity dataset: cannot read events-*.csv: Invalid Input Error: not UTF-8",
        "cannot read dataset files",
        id="dataset-unreadable",
    ),
    pytest.param(
        "orders dataset: column 'amount' is missing from orders-*.csv",
        "missing column",
        id="dataset-missing-column",
    ),
    # SQL
    pytest.param(
        "dau: environment variable WAREHOUSE_URL is not set (the source url uses it)",
        "environment variable not set",
        id="sql-env",
    ),
    pytest.param("dau: query timed out after 30 s", "timed out", id="sql-timeout"),
    pytest.param(
        'dau: query failed on postgresql+asyncpg://reader:***@db/w: relation "kpi" does not'
        " exist (UndefinedTableError)",
        "query failed",
        id="sql-failed",
    ),
    pytest.param(
        "dau: cannot connect to postgresql+asyncpg://reader:***@db/w: Connection refused",
        "cannot connect",
        id="sql-connect",
    ),
    # Values
    pytest.param(
        "dau: column 'value' has non-numeric values on 2026-11-20 ('#DIV/0!')",
        "non-numeric values",
        id="non-numeric",
    ),
    pytest.param("dau: column 'value' is NaN on 2026-11-20", "NaN values", id="nan"),
    pytest.param("dau: column 'value' is empty on 2026-11-20", "missing values", id="empty-value"),
    pytest.param("dau: column 'day' is empty in rows 2", "missing dates", id="empty-date"),
    pytest.param(
        "dau: 2 days appear more than once: 2026-11-20, 2026-11-21 (one row per day, please)",
        "duplicate days",
        id="duplicates",
    ),
    pytest.param(
        "dau: column 'value' is missing from dau.csv (columns: 'day', 'visits')",
        "missing column",
        id="missing-column",
    ),
    # What a source sent cannot change the kind: the first phrase in the line decides it.
    pytest.param(
        f"kpi: cannot fetch {URL}: 400, message='x answered HTTP 200 OK did not send JSON'",
        "request failed",
        id="remote-text-posing-as-another-kind",
    ),
    pytest.param(
        f"kpi: {URL} answered HTTP 503 did not answer within 1 s", "HTTP 503", id="remote-reason"
    ),
    pytest.param(
        "dau: column 'value' has non-numeric values on 2026-11-20 (' is NaN on ')",
        "non-numeric values",
        id="remote-value",
    ),
    # Lines from outside the sources
    pytest.param("dau: unexpected error (KeyError)", "unexpected error", id="unexpected"),
    pytest.param("manual check-ins stopped", UNRECOGNISED, id="unrecognised"),
    pytest.param("", UNRECOGNISED, id="empty"),
]


@pytest.mark.parametrize(("line", "kind"), LINES)
def test_kinds(line: str, kind: str) -> None:
    """Each line maps to its kind; text after the kind's phrase never changes it."""
    assert failure_kind(line) == kind
    assert SourceError(line).kind == kind


@pytest.mark.parametrize(
    "line",
    [case[-1].format(url="http://127.0.0.1:8080") for case in FAILURES],
    ids=[case[0] for case in FAILURES],
)
def test_every_http_failure_has_a_kind(line: str) -> None:
    """Every failure the HTTP source raises is recognised, so none shows the fallback."""
    assert failure_kind(line) != UNRECOGNISED


KIND_SHAPES = re.compile(
    "|".join(re.escape(kind).replace(re.escape("{status}"), r"[1-5]\d\d") for _, kind in KINDS)
)


PIECES = [
    " answered HTTP 500 ",
    " answered HTTP 999",
    " answered HTTP {status}",
    ": cannot fetch ",
    " did not send JSON ",
    ": the JSON from ",
    " has no ",
    " is NaN on ",
    "{",
    "}",
]
LINES_OF_PIECES = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(PIECES)), max_size=8)


@given(LINES_OF_PIECES.map("".join))
def test_a_kind_is_always_one_of_the_fixed_few(line: str) -> None:
    """Whatever the stored line holds, the kind is fixed text (an HTTP status at most)."""
    kind = failure_kind(line)
    assert kind == UNRECOGNISED or KIND_SHAPES.fullmatch(kind), kind
