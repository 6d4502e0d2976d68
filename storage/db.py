"""Async engine and transactions for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

STATEMENT_TIMEOUT_SECONDS = 30.0
"""How long PostgreSQL lets one statement of the app run before cancelling it."""
CLIENT_GRACE_SECONDS = 5.0
"""The most the client waits past the statement timeout, so PostgreSQL's own error comes first."""
SQLITE_BUSY_TIMEOUT_MS = 5000


class Database:
    """One engine and its session factory; `transaction()` commits on success, else rolls back.

    On PostgreSQL a statement running longer than `statement_timeout` seconds is cancelled by
    the server, and a connection that answers nothing for up to as long again (at most
    CLIENT_GRACE_SECONDS more) fails on the client, so one stuck query or dead connection
    cannot stop a process's work for good. None means no limit (for migrations, which may
    rewrite a big table). SQLite statements wait at most SQLITE_BUSY_TIMEOUT_MS for a lock.
    """

    def __init__(
        self,
        url: str,
        *,
        statement_timeout: float | None = STATEMENT_TIMEOUT_SECONDS,
        **engine_options: Any,
    ) -> None:
        self.url = url
        self.statement_timeout = statement_timeout
        if make_url(url).get_backend_name() == "postgresql":
            engine_options["connect_args"] = {
                **_postgres_timeouts(statement_timeout),
                **engine_options.get("connect_args", {}),
            }
        self.engine: AsyncEngine = create_async_engine(url, **engine_options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _postgres_timeouts(statement_timeout: float | None) -> dict[str, Any]:
    """asyncpg connect arguments: the server's statement_timeout and the client's own limit."""
    if statement_timeout is None:
        return {"server_settings": {"statement_timeout": "0"}, "command_timeout": None}
    milliseconds = max(1, round(statement_timeout * 1000))
    return {
        "server_settings": {"statement_timeout": str(milliseconds)},
        "command_timeout": statement_timeout + min(statement_timeout, CLIENT_GRACE_SECONDS),
    }


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (Slack commands) proceed while a writer (a pull) holds the lock;
    # the busy timeout makes writers queue instead of failing with "database is locked",
    # and bounds that wait, which is the longest a SQLite statement is held up by another.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def redacted(url: str) -> str:
    """The URL for messages: any password hidden, and the values of its options too."""
    parsed = make_url(url)
    hidden = parsed.set(query={key: "***" for key in parsed.query})
    return hidden.render_as_string(hide_password=True)
