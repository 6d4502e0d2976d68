"""One row per figure: what was measured, what it is judged against, and whether it is met."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Size(StrEnum):
    """`full` is the issue's load; `tiny` is the smoke run `make test` does so nothing rots."""

    FULL = "full"
    TINY = "tiny"


@dataclass(frozen=True)
class Figure:
    """A measured figure beside its floor or baseline (measured in the same run).

    `limit` is the target the figure must stay under (`value <= limit`), or over when
    `higher_is_better` (e.g. a speed-up). At the tiny size targets are shown but not judged.
    """

    benchmark: str
    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    target: str = ""
    limit: float | None = None
    higher_is_better: bool = False
    judged: bool = True

    @property
    def ratio(self) -> float | None:
        """value / baseline (baseline / value when higher is better is not what we show)."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        """Whether the target holds; None when there is no target or it is not judged."""
        if self.limit is None or not self.judged:
            return None
        if math.isnan(self.value):
            return False
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if math.isnan(value):
        return "n/a"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if value else "0"
    return f"{text} {unit}".strip()


def table(figures: Sequence[Figure]) -> str:
    """A plain-text table of every figure."""
    headers = ("benchmark", "figure", "value", "floor / baseline", "ratio", "target", "met")
    rows = [
        (
            f.benchmark,
            f.name,
            _number(f.value, f.unit),
            f"{f.baseline_name} {_number(f.baseline, f.unit)}".strip() if f.baseline_name else "—",
            f"{f.ratio:.2f}×" if f.ratio is not None else "—",
            f.target or "—",
            {True: "yes", False: "NO", None: "—"}[f.met],
        )
        for f in figures
    ]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def write_json(figures: Sequence[Figure], path: Path, *, size: Size) -> None:
    """The figures as JSON, with their ratio and verdict."""
    payload = {
        "size": size.value,
        "figures": [asdict(f) | {"ratio": f.ratio, "met": f.met} for f in figures],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")


DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

Run = Callable[..., Coroutine[Any, Any, list[Figure]]]


def postgres_url_default() -> str:
    """The admin URL benchmarks make their databases on (`GOALPULSE_BENCH_POSTGRES`)."""
    return os.environ.get("GOALPULSE_BENCH_POSTGRES", DEFAULT_POSTGRES)


def run_alone(run: Run, description: str | None) -> None:
    """One benchmark's own command line: `--size`, `--postgres-url`, then its table."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", choices=[s.value for s in Size], default=Size.FULL.value)
    parser.add_argument(
        "--postgres-url",
        default=postgres_url_default(),
        help="an admin URL; the benchmark makes its own databases on it ('' to skip)",
    )
    args = parser.parse_args()
    print(table(asyncio.run(run(Size(args.size), postgres_url=args.postgres_url or None))))
