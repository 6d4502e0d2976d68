"""The benchmarks at a tiny size, so they cannot rot: each runs and reports sane figures.

Not timed tests: nothing here judges speed (targets are only judged at full size).
"""

from __future__ import annotations

import importlib
import math

import pytest

from tests.benchmarks.__main__ import BENCHMARKS
from tests.benchmarks.report import Size, table
from tests.conftest import POSTGRES_SERVER

POSTGRES_ADMIN = POSTGRES_SERVER.replace("postgresql://", "postgresql+asyncpg://")


@pytest.mark.parametrize("name", BENCHMARKS, ids=BENCHMARKS)
async def test_benchmark_runs_at_tiny_size(name: str) -> None:
    """The benchmark finishes and every figure it reports is a finite, non-negative number."""
    module = importlib.import_module(f"tests.benchmarks.{name}")
    figures = await module.run(Size.TINY, postgres_url=POSTGRES_ADMIN)
    assert figures, f"{name} reported nothing"
    for figure in figures:
        assert math.isfinite(figure.value), figure
        assert figure.value >= 0, figure
        assert figure.met is None, "tiny runs show targets without judging them"
    rendered = table(figures)
    assert all(figure.name in rendered for figure in figures)
