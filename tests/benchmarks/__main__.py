"""`make bench`: every benchmark, one table, and the figures as JSON.

    python -m tests.benchmarks [--size full|tiny] [--json bench-results.json]
                               [--postgres-url URL] [--only NAME ...]

Each figure is shown beside its floor or baseline, measured in the same run on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from pathlib import Path

from tests.benchmarks.report import Figure, Size, postgres_url_default, table, write_json

# Run in this order: the ack figures first, on a machine not yet warmed by the big runs.
BENCHMARKS = (
    "ack_latency",
    "evaluation",
    "fanout",
    "workspaces",
    "charts",
    "startup",
    "health",
    "customers",
)


async def run_all(size: Size, names: list[str], postgres_url: str | None) -> list[Figure]:
    """Run the named benchmarks one after another (never together: they would skew each other)."""
    figures: list[Figure] = []
    for name in names:
        module = importlib.import_module(f"tests.benchmarks.{name}")
        started = time.monotonic()
        print(f"… {name}", file=sys.stderr, flush=True)
        figures += await module.run(size, postgres_url=postgres_url)
        print(f"  {name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=[s.value for s in Size], default=Size.FULL.value)
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    parser.add_argument(
        "--postgres-url",
        default=postgres_url_default(),
        help="an admin URL; benchmarks create and drop their own databases ('' to skip)",
    )
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    size = Size(args.size)
    figures = asyncio.run(run_all(size, args.only, args.postgres_url or None))
    print(table(figures))
    write_json(figures, args.json, size=size)
    judged = [f for f in figures if f.met is not None]
    missed = [f for f in judged if not f.met]
    print(f"\n{len(judged) - len(missed)} of {len(judged)} targets met; figures in {args.json}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
