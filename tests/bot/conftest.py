"""The end-to-end tests drive the bot through Slack's HTTP surface on one database:
PostgreSQL, the one several bot processes share. What differs between databases lies below the
HTTP surface and is tested on both SQLite and PostgreSQL there (tests/storage, tests/jobs);
`make demo` runs the whole story on SQLite. A test here that is about SQLite asks for it with
`pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import empty_database


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh PostgreSQL database (or a SQLite file when a test asks for one)."""
    async with empty_database(request.param, tmp_path) as url:
        yield url
