"""A stuck query or a dead connection fails within the app engine's time limit."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage import migrate
from storage.db import STATEMENT_TIMEOUT_SECONDS, Database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


async def test_the_app_engine_has_a_statement_timeout(database_url: str) -> None:
    """By default every app connection runs with PostgreSQL's statement_timeout set."""
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            shown = (await connection.execute(text("show statement_timeout"))).scalar_one()
    finally:
        await database.dispose()
    assert shown == f"{STATEMENT_TIMEOUT_SECONDS:g}s"


@pytest.mark.parametrize(
    "seconds",
    [pytest.param(0.5, id="half-second"), pytest.param(1.0, id="one-second")],
)
async def test_a_long_statement_is_cancelled_within_the_timeout(
    database_url: str, seconds: float
) -> None:
    """`pg_sleep` past the limit fails with PostgreSQL's statement-timeout error, on time."""
    database = Database(database_url, statement_timeout=seconds)
    try:
        started = time.monotonic()
        with pytest.raises(DBAPIError, match="canceling statement due to statement timeout"):
            async with database.engine.connect() as connection:
                await connection.execute(text("select pg_sleep(10)"))
        assert time.monotonic() - started < seconds + 1.5
        async with database.engine.connect() as connection:  # the pool still works afterwards
            assert (await connection.execute(text("select 1"))).scalar_one() == 1
    finally:
        await database.dispose()


async def test_migrations_run_without_the_timeout(database_url: str) -> None:
    """Migrations are not cut short: they run on a connection without the app's limit."""
    database = Database(database_url, statement_timeout=0.001)
    try:
        assert await migrate.upgrade(database)
    finally:
        await database.dispose()


class FreezingProxy:
    """A TCP relay to PostgreSQL that can stop relaying, like a connection gone dead."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.frozen = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self.target)
        pipes = [
            asyncio.create_task(self._pipe(client_r, server_w)),
            asyncio.create_task(self._pipe(server_r, client_w)),
        ]
        self.tasks.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)
        for writer in (client_w, server_w):
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if self.frozen.is_set():
                await asyncio.Event().wait()  # swallow everything from now on
            writer.write(data)
            await writer.drain()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[tuple[FreezingProxy, str]]:
    """The proxy, and the database URL through it."""
    url = make_url(database_url)
    relay = FreezingProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await relay.start()
    yield relay, url.set(port=port).render_as_string(hide_password=False)
    await relay.close()


async def test_a_dead_connection_fails_on_the_client(
    proxy: tuple[FreezingProxy, str],
) -> None:
    """When the server's answers stop arriving, the client gives up soon after the limit."""
    relay, url = proxy
    database = Database(url, statement_timeout=0.5)
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("select 1"))
            relay.frozen.set()
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(10):
                    await connection.execute(text("select 1"))
            assert time.monotonic() - started < 3
            await connection.invalidate()
    finally:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(3):
                await database.dispose()
