"""CSV sources: good files give checked daily points; every broken file is one clear line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from jobs.metrics.catalog import Metric, load_catalog
from jobs.metrics.sources import SourceError, SourceFetcher

DATA = Path(__file__).parent / "data"
GOOD = DATA / "csv" / "retention.csv"


def csv_metric(path: Path | str, *, value_column: str = "value") -> Metric:
    return Metric.model_validate(
        {
            "key": "dau",
            "title": "Daily active users",
            "source": {"kind": "csv", "path": str(path), "value_column": value_column},
        }
    )


async def fetch(metric: Metric, *, base_dir: Path, since: date) -> pd.DataFrame:
    fetcher = SourceFetcher(base_dir=base_dir, env={})
    try:
        return await fetcher.fetch(metric, since=since)
    finally:
        await fetcher.close()


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (
            date(2026, 1, 1),
            [
                (date(2026, 11, 18), 0.412),
                (date(2026, 11, 19), 0.398),
                (date(2026, 11, 20), 0.405),
                (date(2026, 11, 21), 0.421),
            ],
        ),
        (date(2026, 11, 20), [(date(2026, 11, 20), 0.405), (date(2026, 11, 21), 0.421)]),
        (date(2027, 1, 1), []),
    ],
    ids=["all-days", "since-cuts-earlier-days", "nothing-since"],
)
async def test_good_file_gives_sorted_days_since(
    since: date, expected: list[tuple[date, float]]
) -> None:
    """A good file gives (date, float) rows on or after `since`, sorted, whatever the file order."""
    frame = await fetch(
        csv_metric(GOOD, value_column="retention"), base_dir=Path("/nowhere"), since=since
    )
    assert list(frame.columns) == ["day", "value"]
    rows = list(zip(frame["day"], frame["value"], strict=True))
    assert rows == expected
    assert all(type(day) is date for day, _ in rows)
    assert str(frame["value"].dtype) == "float64"


async def test_relative_path_resolves_against_the_metrics_file_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`path: csv/retention.csv` is read next to metrics.yml, not in the working directory."""
    monkeypatch.chdir(tmp_path)
    catalog = load_catalog(DATA / "metrics.yml")
    metric = catalog.get("next_day_retention")
    assert metric is not None
    assert catalog.path is not None
    frame = await fetch(metric, base_dir=catalog.path.parent, since=date(2026, 11, 21))
    assert list(zip(frame["day"], frame["value"], strict=True)) == [(date(2026, 11, 21), 0.421)]


async def test_missing_file_names_the_path_it_looked_for(tmp_path: Path) -> None:
    """A missing file is a SourceError naming the path as written and where it looked."""
    with pytest.raises(SourceError) as caught:
        await fetch(csv_metric("data/gone.csv"), base_dir=tmp_path, since=date(2026, 1, 1))
    assert str(caught.value) == (
        f"dau: CSV file data/gone.csv not found (looked for {tmp_path / 'data' / 'gone.csv'})"
    )


async def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    """A path that is a folder is a SourceError, not a crash."""
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(SourceError, match=r"^dau: cannot read CSV file folder\.csv \("):
        await fetch(csv_metric("folder.csv"), base_dir=tmp_path, since=date(2026, 1, 1))


async def test_header_only_file_gives_no_days(tmp_path: Path) -> None:
    """A file with only its header line is fine: no days."""
    (tmp_path / "empty.csv").write_text("day,value\n", encoding="utf-8")
    frame = await fetch(csv_metric("empty.csv"), base_dir=tmp_path, since=date(2026, 1, 1))
    assert list(frame.columns) == ["day", "value"]
    assert len(frame) == 0


async def test_excel_bom_spaces_and_iso_datetimes_are_accepted(tmp_path: Path) -> None:
    """A UTF-8 BOM, spaces around headers and cells, and ISO date-times are read as days."""
    (tmp_path / "export.csv").write_bytes(
        "\ufeffday , value\n2026-11-20T00:00:00, 12\n 2026-11-21 ,1e3\n".encode()
    )
    frame = await fetch(csv_metric("export.csv"), base_dir=tmp_path, since=date(2026, 1, 1))
    assert list(zip(frame["day"], frame["value"], strict=True)) == [
        (date(2026, 11, 20), 12.0),
        (date(2026, 11, 21), 1000.0),
    ]


async def test_bad_rows_before_since_are_not_judged(tmp_path: Path) -> None:
    """A bad value on a day before `since` does not break today's pull."""
    (tmp_path / "old.csv").write_text("day,value\n2020-01-01,n/a\n2026-11-20,5\n", encoding="utf-8")
    frame = await fetch(csv_metric("old.csv"), base_dir=tmp_path, since=date(2026, 1, 1))
    assert list(frame["value"]) == [5.0]


def _many_days(count: int) -> bytes:
    start = date(2015, 1, 1).toordinal()
    lines = [f"{date.fromordinal(start + n).isoformat()},1" for n in range(count)]
    return ("day,value\n" + "\n".join(lines) + "\n").encode()


BROKEN = [
    # (id, file bytes, the message after "dau: ")
    (
        "missing-column",
        b"day,visits\n2026-11-20,5\n",
        "column 'value' is missing from broken.csv (columns: 'day', 'visits')",
    ),
    (
        "non-numeric",
        b'day,value\n2026-11-19,4\n2026-11-20,n/a\n2026-11-21,"12,5"\n',
        "column 'value' has non-numeric values on 2026-11-20 ('n/a'), 2026-11-21 ('12,5')",
    ),
    ("nan", b"day,value\n2026-11-20,NaN\n2026-11-21,3\n", "column 'value' is NaN on 2026-11-20"),
    (
        "inf",
        b"day,value\n2026-11-20,inf\n2026-11-21,-Infinity\n",
        "column 'value' is infinite on 2026-11-20, 2026-11-21",
    ),
    ("empty-value", b"day,value\n2026-11-20,\n", "column 'value' is empty on 2026-11-20"),
    (
        "duplicate-days",
        b"day,value\n2026-11-20,1\n2026-11-21,2\n2026-11-20,3\n2026-11-21,4\n2026-11-22,5\n",
        "2 days appear more than once: 2026-11-20, 2026-11-21 (one row per day, please)",
    ),
    (
        "many-duplicate-days",
        b"day,value\n" + b"".join(f"2026-11-2{n},1\n".encode() * 2 for n in range(5)),
        "5 days appear more than once: 2026-11-20, 2026-11-21, 2026-11-22 and 2 more",
    ),
    (
        "bad-date",
        b"day,value\n2026-11-20,1\n20/11/2026,2\nyesterday,3\n",
        "column 'day' has values that are not dates (YYYY-MM-DD): '20/11/2026' (row 2),"
        " 'yesterday' (row 3)",
    ),
    ("impossible-date", b"day,value\n2026-02-30,1\n", "not dates (YYYY-MM-DD): '2026-02-30'"),
    ("empty-date", b"day,value\n2026-11-20,1\n,2\n", "column 'day' is empty in rows 2"),
    ("empty-file", b"", "CSV file broken.csv is empty (no header line)"),
    ("not-utf8", b"day,value\n2026-11-20,\xff\xfe\n", "CSV file broken.csv is not UTF-8 text"),
    (
        "more-fields-than-header",
        b"day,value\n2026-11-20,1,2\n",
        "CSV file broken.csv is not valid CSV (rows have more fields than the header line)",
    ),
    (
        "ragged",
        b"day,value\n2026-11-20,1\n2026-11-21,2,3\n",
        "CSV file broken.csv is not valid CSV (Error tokenizing data. C error: Expected 2 fields"
        " in line 3, saw 3)",
    ),
    (
        "more-than-five-years",
        _many_days(2000),
        "2000 rows since 2014-01-01 is more than five years of days (at most 1830)",
    ),
]


@pytest.mark.parametrize(
    ("content", "fault"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
async def test_broken_file_is_one_line_naming_the_metric(
    tmp_path: Path, content: bytes, fault: str
) -> None:
    """Each broken file is a SourceError: one line, the metric key first, then the fault."""
    (tmp_path / "broken.csv").write_bytes(content)
    with pytest.raises(SourceError) as caught:
        await fetch(csv_metric("broken.csv"), base_dir=tmp_path, since=date(2014, 1, 1))
    message = str(caught.value)
    assert message.startswith("dau: ")
    assert fault in message
    assert "\n" not in message
