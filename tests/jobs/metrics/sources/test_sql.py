"""SQL sources on a real SQLite file and a real PostgreSQL database: read-only, timed, checked."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Date, bindparam, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from jobs.metrics.catalog import Metric
from jobs.metrics.sources import SourceError, SourceFetcher

ROWS = [(date(2026, 11, 18), 120.0), (date(2026, 11, 19), 125.5), (date(2026, 11, 20), 131.0)]
SELECT = "select day, value from kpi_dau where day >= :since order by day"
PASSWORD = "s3cret-pw"


def sql_metric(query: str = SELECT, *, timeout_seconds: float = 10) -> Metric:
    return Metric.model_validate(
        {
            "key": "dau",
            "title": "Daily active users",
            "source": {
                "kind": "sql",
                "url": "${WAREHOUSE_URL}",
                "query": query,
                "timeout_seconds": timeout_seconds,
            },
        }
    )


async def table_rows(url: str) -> list[tuple[date, float]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text("select day, value from kpi_dau order by day"))
            return [(date.fromisoformat(str(day)), float(value)) for day, value in result]
    finally:
        await engine.dispose()


async def create_warehouse(url: str) -> None:
    """Create `kpi_dau(day date, value double precision)` with three days in the database."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("create table kpi_dau(day date, value double precision)"))
            await connection.execute(
                text("insert into kpi_dau(day, value) values (:day, :value)").bindparams(
                    bindparam("day", type_=Date)
                ),
                [{"day": day, "value": value} for day, value in ROWS],
            )
    finally:
        await engine.dispose()


@pytest.fixture
async def warehouse(database_url: str) -> str:
    """The test database (SQLite file, then PostgreSQL) with the kpi_dau table."""
    await create_warehouse(database_url)
    return database_url


@pytest.fixture
async def fetcher(warehouse: str, tmp_path: Path) -> AsyncIterator[SourceFetcher]:
    """A fetcher whose WAREHOUSE_URL is the test database."""
    sources = SourceFetcher(base_dir=tmp_path, env={"WAREHOUSE_URL": warehouse})
    yield sources
    await sources.close()


def dialect(url: str) -> str:
    return make_url(url).get_backend_name()


def names_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# Checks that do not depend on the database run on the SQLite file only.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_rows_since_are_returned(fetcher: SourceFetcher) -> None:
    """The query gets `:since` as a date; only those days come back, as dates and floats."""
    frame = await fetcher.fetch(sql_metric(), since=date(2026, 11, 19))
    assert list(zip(frame["day"], frame["value"], strict=True)) == ROWS[1:]
    assert all(type(day) is date for day in frame["day"])


async def test_plain_urls_use_the_async_drivers(warehouse: str, tmp_path: Path) -> None:
    """`sqlite:///…`, `postgresql://…`, `postgres://…?sslmode=…` connect via async drivers."""
    url = make_url(warehouse)
    spellings = ["sqlite"] if dialect(warehouse) == "sqlite" else ["postgresql", "postgres"]
    for spelling in spellings:
        libpq = {"sslmode": "disable"} if spelling == "postgres" else {}
        plain = url.set(drivername=spelling, query=libpq).render_as_string(hide_password=False)
        fetcher = SourceFetcher(base_dir=tmp_path, env={"WAREHOUSE_URL": plain})
        try:
            frame = await fetcher.fetch(sql_metric(), since=date(2026, 1, 1))
        finally:
            await fetcher.close()
        assert list(zip(frame["day"], frame["value"], strict=True)) == ROWS, spelling


@sqlite_only
@pytest.mark.parametrize(
    "query",
    [
        "select value, day from kpi_dau where day >= :since",
        "select day as d, value * 2 as v from kpi_dau where day >= :since",
        "select day, value, 'extra' as note from kpi_dau where day >= :since",
    ],
    ids=["by-name-any-order", "first-two-columns", "extra-column-ignored"],
)
async def test_columns_by_name_else_the_first_two(fetcher: SourceFetcher, query: str) -> None:
    """Columns named `day` and `value` are used wherever they are; otherwise the first two."""
    frame = await fetcher.fetch(sql_metric(query), since=date(2026, 11, 20))
    assert list(frame.columns) == ["day", "value"]
    assert list(frame["day"]) == [date(2026, 11, 20)]
    assert list(frame["value"]) in ([131.0], [262.0])


WRITES = [
    ("delete-returning", "delete from kpi_dau where day >= :since returning day, day as value"),
    (
        "insert-then-select",
        "insert into kpi_dau values ('2030-01-01', 1); select day, value from kpi_dau"
        " where day >= :since",
    ),
    (
        "cte-delete",
        "with gone as (delete from kpi_dau where day >= :since returning day)"
        " select day, 1 as value from gone",
    ),
    ("update-returning", "update kpi_dau set value = 0 where day >= :since returning day, value"),
    ("drop-table", "drop table kpi_dau /* :since */"),
]


@pytest.mark.parametrize("query", [case[1] for case in WRITES], ids=[case[0] for case in WRITES])
async def test_queries_that_write_fail_and_change_nothing(
    fetcher: SourceFetcher, warehouse: str, query: str
) -> None:
    """Sources run read-only: a writing query is a SourceError and the table is unchanged."""
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(sql_metric(query), since=date(2026, 1, 1))
    assert str(caught.value).startswith("dau: query failed on ")
    assert await table_rows(warehouse) == ROWS


async def test_slow_query_hits_the_timeout(fetcher: SourceFetcher, warehouse: str) -> None:
    """A query running past `timeout_seconds` is stopped and reported as a timeout."""
    if dialect(warehouse) == "postgresql":
        slow = "select current_date as day, 1.0 as value from pg_sleep(5) where :since is not null"
    else:  # counting to 10^9: many seconds of work unless it is interrupted
        slow = (
            "with recursive n(x) as (select 1 union all select x + 1 from n where x < 1000000000)"
            " select :since as day, count(*) as value from n"
        )
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"^dau: query timed out after 0\.5 s$"):
        await fetcher.fetch(sql_metric(slow, timeout_seconds=0.5), since=date(2026, 1, 1))
    assert time.monotonic() - started < 2.5
    # The connection pool is not left stuck: the next query works.
    frame = await fetcher.fetch(sql_metric(), since=date(2026, 11, 20))
    assert list(frame["value"]) == [131.0]


@sqlite_only
@pytest.mark.parametrize(
    ("query", "fault"),
    [
        (
            "select day, 'lots' as value from kpi_dau where day >= :since",
            "dau: column 'value' has non-numeric values on 2026-11-18 ('lots'), 2026-11-19"
            " ('lots'), 2026-11-20 ('lots')",
        ),
        (
            "select 'soon' as day, 1 as value where :since is not null",
            "dau: column 'day' has values that are not dates (YYYY-MM-DD): 'soon' (row 1)",
        ),
        (
            "select day, null as value from kpi_dau where day >= :since",
            "dau: column 'value' is empty on 2026-11-18, 2026-11-19, 2026-11-20",
        ),
        (
            "select day, value from kpi_dau where day >= :since union all"
            " select day, value from kpi_dau where day >= :since",
            "dau: 3 days appear more than once: 2026-11-18, 2026-11-19, 2026-11-20",
        ),
        (
            "select day from kpi_dau where day >= :since",
            "dau: the query returns 1 column ('day'); it needs a day and a value",
        ),
        (
            "select day, value from kpi_dau where day >= :since and value > :floor",
            "A value is required for bind parameter 'floor'",
        ),
        ("select day, value from no_such_table where day >= :since", "no_such_table"),
    ],
    ids=[
        "text-values",
        "text-dates",
        "null-values",
        "duplicate-days",
        "one-column",
        "unknown-parameter",
        "unknown-table",
    ],
)
async def test_garbage_results_are_source_errors(
    fetcher: SourceFetcher, query: str, fault: str
) -> None:
    """Bad data or a bad query is one SourceError line naming the metric and the fault."""
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(sql_metric(query), since=date(2026, 1, 1))
    assert str(caught.value).startswith("dau: ")
    assert fault in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("database", "query"),
    [
        ("nope_db", SELECT),
        (None, "select day, value from kpi_dau where day >= :since and value / 0 > 1"),
        (None, "select day, 'lots' as value from kpi_dau where day >= :since"),
    ],
    ids=["no-such-database", "query-error", "bad-values"],
)
async def test_postgres_failures_never_show_the_password(
    warehouse: str, tmp_path: Path, database: str | None, query: str
) -> None:
    """With a password in WAREHOUSE_URL, failing pulls never put it in their message."""
    url = make_url(warehouse).set(password=PASSWORD)  # trust auth: any password is accepted
    if database is not None:
        url = url.set(database=database)
    fetcher = SourceFetcher(
        base_dir=tmp_path, env={"WAREHOUSE_URL": url.render_as_string(hide_password=False)}
    )
    try:
        with pytest.raises(SourceError) as caught:
            await fetcher.fetch(sql_metric(query), since=date(2026, 1, 1))
    finally:
        await fetcher.close()
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(caught.value)
    if database is not None:
        assert ":***@" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "fault"),
    [
        (
            f"postgresql://reader:{PASSWORD}@127.0.0.1:1/warehouse",
            "dau: cannot connect to postgresql+asyncpg://reader:***@127.0.0.1:1/warehouse: ",
        ),
        (
            f"mysql://reader:{PASSWORD}@db.internal/warehouse",
            "dau: database driver 'mysql' is not supported (use sqlite:// or postgresql://)",
        ),
        (f"postgresql+psycopg2://reader:{PASSWORD}@db/w", "driver 'postgresql+psycopg2' is not"),
        (f"sqlite+pysqlite:///{PASSWORD}.db", "driver 'sqlite+pysqlite' is not supported"),
        (
            f"postgresql://reader:{PASSWORD}@127.0.0.1:1/w?colour=red",
            "dau: the source url has an option the driver does not accept: connect() got an"
            " unexpected keyword argument 'colour'",
        ),
        (f"reader:{PASSWORD}@db.internal", "dau: the source url is not a database URL"),
        (
            f"postgresql://reader:{PASSWORD}@db.internal:port/warehouse",
            "dau: the source url is not a database URL",
        ),
        ("sqlite://", "dau: a SQLite source needs a database file (sqlite:///path/to/file.db)"),
        ("sqlite:///:memory:", "dau: a SQLite source needs a database file"),
    ],
    ids=[
        "connection-refused",
        "mysql",
        "sync-postgres-driver",
        "sync-sqlite-driver",
        "unknown-url-option",
        "not-a-url",
        "bad-port",
        "sqlite-in-memory",
        "sqlite-memory-path",
    ],
)
async def test_unusable_urls_are_named_without_the_password(
    tmp_path: Path, url: str, fault: str
) -> None:
    """Unsupported drivers, unparseable URLs and unreachable servers: no password shown."""
    fetcher = SourceFetcher(base_dir=tmp_path, env={"WAREHOUSE_URL": url})
    try:
        with pytest.raises(SourceError) as caught:
            await fetcher.fetch(sql_metric(), since=date(2026, 1, 1))
    finally:
        await fetcher.close()
    assert fault in str(caught.value)
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize(
    "env",
    [{}, {"WAREHOUSE_URL": ""}, {"OTHER_URL": "sqlite:///x.db"}],
    ids=["none", "empty", "other"],
)
async def test_missing_environment_variable_is_named(tmp_path: Path, env: dict[str, str]) -> None:
    """`${WAREHOUSE_URL}` with no such variable says which variable is missing."""
    fetcher = SourceFetcher(base_dir=tmp_path, env=env)
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(sql_metric(), since=date(2026, 1, 1))
    assert str(caught.value) == (
        "dau: environment variable WAREHOUSE_URL is not set (the source url uses it)"
    )


async def test_missing_sqlite_file_is_an_error_and_creates_no_file(tmp_path: Path) -> None:
    """A SQLite path that does not exist is a SourceError, and no empty database appears."""
    missing = tmp_path / "warehouse.db"
    fetcher = SourceFetcher(base_dir=tmp_path, env={"WAREHOUSE_URL": f"sqlite:///{missing}"})
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(sql_metric(), since=date(2026, 1, 1))
    await fetcher.close()
    assert str(caught.value) == f"dau: SQLite database {missing} not found"
    assert names_in(tmp_path) == []


async def test_relative_sqlite_path_resolves_against_the_metrics_file_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sqlite:///warehouse.db` is the file next to metrics.yml, whatever the working folder."""
    folder = tmp_path / "config"
    folder.mkdir()
    await create_warehouse(f"sqlite+aiosqlite:///{folder / 'warehouse.db'}")
    monkeypatch.chdir(tmp_path)
    fetcher = SourceFetcher(base_dir=folder, env={"WAREHOUSE_URL": "sqlite:///warehouse.db"})
    try:
        frame = await fetcher.fetch(sql_metric(), since=date(2026, 11, 20))
    finally:
        await fetcher.close()
    assert list(frame["value"]) == [131.0]
    assert names_in(tmp_path) == ["config"]


@sqlite_only
async def test_fetch_after_close_opens_a_new_engine(fetcher: SourceFetcher) -> None:
    """`close()` disposes the cached engines; a later fetch still works."""
    await fetcher.fetch(sql_metric(), since=date(2026, 11, 20))
    await fetcher.close()
    frame = await fetcher.fetch(sql_metric(), since=date(2026, 11, 20))
    assert list(frame["value"]) == [131.0]
