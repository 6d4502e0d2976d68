"""A fresh PostgreSQL database for dataset tables."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database's URL (postgresql://…), dropped afterwards."""
    url, name = asyncio.run(_create_postgres_database())
    yield url.replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(_drop_postgres_database(name))
