"""HTTP sources against a real aiohttp server on a free loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from jobs.metrics.catalog import Metric
from jobs.metrics.sources import SourceError, SourceFetcher

NO_FILES = Path("/nonexistent")  # HTTP sources never read files
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RECORDS = [
    {"day": "2026-11-21", "rate": 0.31},
    {"day": "2026-11-19", "rate": "0.29"},
    {"day": "2026-11-20", "rate": 0.30},
]


def json_body(body: Any) -> Handler:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.json_response(body)

    return handler


def raw_body(status: int, text: str, content_type: str) -> Handler:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, text=text, content_type=content_type)

    return handler


class Api:
    """The test server: its base URL, and the event that releases slow requests."""

    def __init__(self, url: str, release: asyncio.Event) -> None:
        self.url = url
        self.release = release


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    """A JSON API with good, slow and broken endpoints, on 127.0.0.1 and a free port."""
    release = asyncio.Event()

    async def slow(_request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.json_response(RECORDS)

    app = web.Application()
    routes: dict[str, Handler] = {
        "/nested": json_body({"meta": {"n": 3}, "payload": {"rows": RECORDS}}),
        "/list": json_body(RECORDS),
        "/slow": slow,
        "/boom": raw_body(500, "internal error", "text/plain"),
        "/html": raw_body(200, "<html>login</html>", "text/html"),
        "/empty": raw_body(200, "", "application/json"),
        "/object": json_body({"data": {"day": "2026-11-20", "rate": 1}}),
        "/scalars": json_body({"data": [1, 2]}),
        "/missing-field": json_body([{"day": "2026-11-20", "rate": 1}, {"day": "2026-11-21"}]),
        "/non-numeric": json_body([{"day": "2026-11-20", "rate": "high"}]),
        "/nan": raw_body(200, '[{"day": "2026-11-20", "rate": NaN}]', "application/json"),
        "/bad-date": json_body([{"day": "Nov 20", "rate": 1}]),
        "/duplicates": json_body([{"day": "2026-11-20", "rate": 1}] * 2),
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield Api(f"http://{host}:{port}", release)
    release.set()
    await runner.cleanup()


def http_metric(
    url: str,
    *,
    records: str | None = None,
    date_field: str = "day",
    value_field: str = "rate",
    timeout_seconds: float = 5,
) -> Metric:
    return Metric.model_validate(
        {
            "key": "conversion_rate",
            "title": "Conversion rate",
            "source": {
                "kind": "http",
                "url": url,
                "records": records,
                "date_field": date_field,
                "value_field": value_field,
                "timeout_seconds": timeout_seconds,
            },
        }
    )


@pytest.fixture
async def fetcher() -> AsyncIterator[SourceFetcher]:
    """A fetcher with its own (lazily made) HTTP session."""
    sources = SourceFetcher(base_dir=NO_FILES, env={})
    yield sources
    await sources.close()


@pytest.mark.parametrize(
    ("path", "records"), [("/nested", "payload.rows"), ("/list", None)], ids=["dotted", "top-list"]
)
async def test_records_give_sorted_days_since(
    api: Api, fetcher: SourceFetcher, path: str, records: str | None
) -> None:
    """Records found by a dotted path (or the body itself) become sorted days since `since`."""
    frame = await fetcher.fetch(
        http_metric(api.url + path, records=records), since=date(2026, 11, 20)
    )
    assert list(zip(frame["day"], frame["value"], strict=True)) == [
        (date(2026, 11, 20), 0.30),
        (date(2026, 11, 21), 0.31),
    ]


async def test_shared_session_is_used_and_left_open(api: Api) -> None:
    """A session passed in is used for requests and not closed by `close()`."""
    async with aiohttp.ClientSession() as session:
        fetcher = SourceFetcher(base_dir=NO_FILES, env={}, http=session)
        frame = await fetcher.fetch(http_metric(api.url + "/list"), since=date(2026, 1, 1))
        await fetcher.close()
        assert len(frame) == 3
        assert not session.closed


FAILURES = [
    # (id, path, records, timeout, the message)
    (
        "timeout",
        "/slow",
        None,
        0.2,
        "conversion_rate: {url}/slow did not answer within 0.2 s",
    ),
    (
        "http-500",
        "/boom",
        None,
        5,
        "conversion_rate: {url}/boom answered HTTP 500 Internal Server Error",
    ),
    ("http-404", "/nowhere", None, 5, "conversion_rate: {url}/nowhere answered HTTP 404 Not Found"),
    (
        "not-json",
        "/html",
        None,
        5,
        "conversion_rate: {url}/html did not send JSON (content type text/html)",
    ),
    (
        "empty-body",
        "/empty",
        None,
        5,
        "conversion_rate: {url}/empty did not send JSON (content type application/json)",
    ),
    (
        "records-path-missing",
        "/nested",
        "payload.items",
        5,
        "conversion_rate: the JSON from {url}/nested has no 'payload.items'"
        " (records: payload.items); it is an object with keys 'rows'",
    ),
    (
        "records-not-a-list",
        "/object",
        "data",
        5,
        "conversion_rate: 'data' in the JSON from {url}/object is an object, not a list of records",
    ),
    (
        "body-not-a-list",
        "/nested",
        None,
        5,
        "conversion_rate: the JSON from {url}/nested is an object, not a list of records"
        " (set `records:` to the path of the list)",
    ),
    (
        "records-not-objects",
        "/scalars",
        "data",
        5,
        "conversion_rate: records from {url}/scalars must be objects; record 1, 2 are not"
        " (the first is a number)",
    ),
    (
        "missing-field",
        "/missing-field",
        None,
        5,
        "conversion_rate: field 'rate' is missing in record 2 from {url}/missing-field",
    ),
    (
        "non-numeric",
        "/non-numeric",
        None,
        5,
        "conversion_rate: field 'rate' has non-numeric values on 2026-11-20 ('high')",
    ),
    ("nan", "/nan", None, 5, "conversion_rate: field 'rate' is NaN on 2026-11-20"),
    (
        "bad-date",
        "/bad-date",
        None,
        5,
        "conversion_rate: field 'day' has values that are not dates (YYYY-MM-DD):"
        " 'Nov 20' (record 1)",
    ),
    (
        "duplicate-days",
        "/duplicates",
        None,
        5,
        "conversion_rate: 1 day appears more than once: 2026-11-20 (one row per day, please)",
    ),
]


@pytest.mark.parametrize(
    ("path", "records", "timeout_seconds", "expected"),
    [case[1:] for case in FAILURES],
    ids=[case[0] for case in FAILURES],
)
async def test_failures_are_one_line_naming_the_metric(
    api: Api,
    fetcher: SourceFetcher,
    path: str,
    records: str | None,
    timeout_seconds: float,
    expected: str,
) -> None:
    """Timeouts, HTTP errors, non-JSON, wrong shapes and bad values: one SourceError line."""
    metric = http_metric(api.url + path, records=records, timeout_seconds=timeout_seconds)
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(metric, since=date(2026, 1, 1))
    assert str(caught.value) == expected.format(url=api.url)


async def test_unreachable_server_and_secret_query_are_not_shown(fetcher: SourceFetcher) -> None:
    """A refused connection is a SourceError; the URL's query string (a key?) is not shown."""
    metric = http_metric("http://127.0.0.1:1/kpi?api_key=topsecret")
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(metric, since=date(2026, 1, 1))
    assert str(caught.value).startswith("conversion_rate: cannot fetch http://127.0.0.1:1/kpi: ")
    assert "topsecret" not in str(caught.value)
