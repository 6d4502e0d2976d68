"""SourceFetcher routing: manual and formula metrics are not fetched."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import aiohttp
import pytest

from jobs.metrics.catalog import load_catalog
from jobs.metrics.sources import SourceFetcher

PLAYBOOK_EXAMPLE = Path(__file__).parents[2] / "data" / "playbook_metrics.yml"


@pytest.mark.parametrize(
    ("key", "fault"),
    [
        ("nps", "nps is a manual metric: people check its values in"),
        ("health_index", "health_index is a formula metric: compute it with derive()"),
    ],
    ids=["manual", "formula"],
)
async def test_metrics_without_a_fetchable_source_are_refused(key: str, fault: str) -> None:
    """Calling fetch with a manual or formula metric is a ValueError (the caller skips them)."""
    catalog = load_catalog(PLAYBOOK_EXAMPLE)
    metric = catalog.get(key)
    assert metric is not None
    fetcher = SourceFetcher(base_dir=PLAYBOOK_EXAMPLE.parent, env={})
    with pytest.raises(ValueError, match=f"^{re.escape(fault)}$"):
        await fetcher.fetch(metric, since=date(2026, 1, 1))
    await fetcher.close()


async def test_close_twice_is_harmless_and_leaves_a_shared_session_open() -> None:
    """close() may be called twice; a session handed in by the caller stays the caller's."""
    async with aiohttp.ClientSession() as shared:
        fetcher = SourceFetcher(base_dir=PLAYBOOK_EXAMPLE.parent, env={}, http=shared)
        await fetcher.close()
        await fetcher.close()
        assert not shared.closed
