"""HTTP sources follow only the redirects metrics.yml allows; refusals name the host alone."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from aiohttp import web

from jobs.metrics.catalog import Metric
from jobs.metrics.sources import SourceError, SourceFetcher

NO_FILES = Path("/nonexistent")
RECORDS = [{"day": "2026-11-20", "value": 7}]


class Server:
    """A local JSON server; `seen` lists the paths asked and the Authorization sent."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.seen: list[tuple[str, str | None]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    def on(self, path: str, answer: web.StreamResponse | None = None, *, to: str = "") -> None:
        """Answer `path` with JSON records, or redirect it (302) to `to`."""

        async def handler(request: web.Request) -> web.StreamResponse:
            self.seen.append((request.path, request.headers.get("Authorization")))
            if to:
                raise web.HTTPFound(to)
            return answer if answer is not None else web.json_response(RECORDS)

        self.app.router.add_get(path, handler)

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def servers() -> AsyncIterator[tuple[Server, Server]]:
    """The source's server, and another one (another port is another host)."""
    source, other = Server(), Server()
    other.on("/creds")
    await other.start()
    source.on("/data")
    source.on("/same", to="/data")
    source.on("/loop", to="/loop")
    source.on("/away", to=f"{other.url}/creds?role=admin&token=t0ps3cret")
    source.on("/away-relative-scheme", to=f"//{other.url.removeprefix('http://')}/creds")
    source.on("/scheme", to="ftp://files.example/data")
    await source.start()
    yield source, other
    await source.stop()
    await other.stop()


def metric(url: str, redirects: str | None = None) -> Metric:
    source: dict[str, object] = {"kind": "http", "url": url}
    if redirects is not None:
        source["redirects"] = redirects
    return Metric.model_validate({"key": "kpi", "title": "KPI", "source": source})


@pytest.fixture
async def fetcher() -> AsyncIterator[SourceFetcher]:
    sources = SourceFetcher(base_dir=NO_FILES, env={})
    yield sources
    await sources.close()


@pytest.mark.parametrize(
    ("path", "redirects", "other_asked"),
    [
        pytest.param("/same", None, False, id="same-host-by-default"),
        pytest.param("/same", "same-host", False, id="same-host"),
        pytest.param("/away", "any", True, id="any-host-when-allowed"),
    ],
)
async def test_allowed_redirects_are_followed(
    servers: tuple[Server, Server],
    fetcher: SourceFetcher,
    path: str,
    redirects: str | None,
    other_asked: bool,
) -> None:
    """A redirect the setting allows leads to the records."""
    source, other = servers
    frame = await fetcher.fetch(metric(source.url + path, redirects), since=date(2026, 1, 1))
    assert list(frame["value"]) == [7.0]
    assert bool(other.seen) is other_asked


@pytest.mark.parametrize(
    ("path", "redirects", "expected", "kind"),
    [
        pytest.param(
            "/away",
            None,
            "kpi: {source}/away redirected to another host ({other}), which is refused"
            " (`redirects: any` would follow it)",
            "redirect to another host refused",
            id="other-host-by-default",
        ),
        pytest.param(
            "/away-relative-scheme",
            "same-host",
            "kpi: {source}/away-relative-scheme redirected to another host ({other}), which is"
            " refused (`redirects: any` would follow it)",
            "redirect to another host refused",
            id="scheme-relative-location",
        ),
        pytest.param(
            "/same",
            "none",
            "kpi: {source}/same redirected elsewhere (to {source}); this source follows no"
            " redirects (redirects: none)",
            "redirect refused",
            id="none-refuses-even-the-same-host",
        ),
        pytest.param(
            "/scheme",
            "any",
            "kpi: {source}/scheme sent a redirect without a usable Location",
            "bad redirect",
            id="not-http",
        ),
        pytest.param(
            "/loop",
            "same-host",
            "kpi: {source}/loop redirected too many times (over 10)",
            "too many redirects",
            id="loop",
        ),
    ],
)
async def test_refused_redirects_name_the_host_only(
    servers: tuple[Server, Server],
    fetcher: SourceFetcher,
    path: str,
    redirects: str | None,
    expected: str,
    kind: str,
) -> None:
    """A refused redirect is a SourceError naming where it led, without its path or query."""
    source, other = servers
    with pytest.raises(SourceError) as caught:
        await fetcher.fetch(metric(source.url + path, redirects), since=date(2026, 1, 1))
    assert str(caught.value) == expected.format(source=source.url, other=other.url)
    assert caught.value.kind == kind
    assert "t0ps3cret" not in str(caught.value)
    assert other.seen == []


async def test_credentials_in_the_url_stay_with_their_host(
    servers: tuple[Server, Server], fetcher: SourceFetcher
) -> None:
    """A user and password in the URL go along a same-host redirect, never to another host."""
    source, other = servers
    with_user = source.url.replace("http://", "http://reader:pw@")
    await fetcher.fetch(metric(with_user + "/same"), since=date(2026, 1, 1))
    await fetcher.fetch(metric(with_user + "/away", "any"), since=date(2026, 1, 1))
    basic = "Basic " + base64.b64encode(b"reader:pw").decode()
    assert source.seen == [("/same", basic), ("/data", basic), ("/away", basic)]
    assert other.seen == [("/creds", None)]
