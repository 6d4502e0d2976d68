"""`make soak`: the soak's story twice — calm, then with faults — and the ledger compared.

    python -m tests.soak [--seed N] [--out soak-results.json]

The calm run says which messages the story should produce; the faulty run must deliver each
of them (lost = 0), at most the documented duplicates, and end as failed only what Slack
refused for good. Prints one table; exits 1 when anything was lost or failed for a passing
reason.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

from tests.soak import scenario
from tests.soak.runner import Ledger, run

ADMIN_URL = os.environ.get("GOALPULSE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
PERMANENT = ("not_in_channel",)


def compare(calm: Ledger, faulty: Ledger) -> dict[str, object]:
    """The soak's figures: expected, once, twice, lost, failed (by reason), longest delay."""
    # What the calm run sent by the story's end; the faulty run has the tail to catch up.
    end = scenario.end()
    expected = {
        key
        for key in calm.posts
        if not key.startswith("unrecorded")
        and calm.first_at.get(key) is not None
        and calm.first_at[key] <= end
    }
    once = sorted(key for key in expected if faulty.posts[key] == 1)
    twice = sorted(key for key in faulty.posts if faulty.posts[key] >= 2)
    lost = sorted(key for key in expected if faulty.posts[key] == 0)
    extra = sorted(
        key
        for key in faulty.posts
        if key not in calm.posts and (faulty.first_at.get(key) or end) <= end - timedelta(hours=2)
    )
    lost_updates = sorted(calm.updates - faulty.updates)
    reasons: dict[str, int] = {}
    for error in faulty.failed.values():
        reason = error.split(" ")[0]
        reasons[reason] = reasons.get(reason, 0) + 1
    delays = [
        (faulty.first_at[key] - calm.first_at[key], key)
        for key in expected
        if key in faulty.first_at and calm.first_at.get(key) is not None
    ]
    longest, longest_key = max(delays, default=(timedelta(0), ""))
    return {
        "expected": len(expected),
        "delivered_once": len(once),
        "delivered_twice": twice,
        "lost": lost,
        "unexpected": extra,
        "updates_expected": len(calm.updates),
        "updates_lost": lost_updates,
        "failed_by_reason": reasons,
        "failed_in_calm_run": len(calm.failed),
        "longest_delay_minutes": round(longest.total_seconds() / 60, 1),
        "longest_delay_message": longest_key,
        "faults": faulty.events,
    }


def table(figures: dict[str, object]) -> str:
    rows = [
        ("messages expected (calm run)", figures["expected"]),
        ("delivered once", figures["delivered_once"]),
        ("delivered twice", len(figures["delivered_twice"])),  # type: ignore[arg-type]
        ("lost", len(figures["lost"])),  # type: ignore[arg-type]
        ("not in the calm run", len(figures["unexpected"])),  # type: ignore[arg-type]
        (
            "edits expected / lost",
            f"{figures['updates_expected']} / {len(figures['updates_lost'])}",
        ),  # type: ignore[arg-type]
        ("rows ended as failed, by reason", figures["failed_by_reason"]),
        (
            "longest delay against the calm run",
            f"{figures['longest_delay_minutes']} min ({figures['longest_delay_message']})",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


async def main(seed: int) -> dict[str, object]:
    print("calm run …", flush=True)
    calm = await run(chaos=False, seed=seed, admin_url=ADMIN_URL)
    print("faulty run …", flush=True)
    faulty = await run(chaos=True, seed=seed, admin_url=ADMIN_URL)
    figures = compare(calm, faulty)
    print(table(figures))
    for name in ("delivered_twice", "lost", "unexpected", "updates_lost"):
        for key in figures[name]:  # type: ignore[attr-defined]
            print(f"  {name}: {key}")
    print("faults:", "; ".join(faulty.events[-40:]))
    return figures


def verdict(figures: dict[str, object]) -> int:
    """1 when a message was lost or a row failed for a reason that passes."""
    reasons = figures["failed_by_reason"]
    assert isinstance(reasons, dict)
    passing = [reason for reason in reasons if reason not in PERMANENT]
    return 1 if figures["lost"] or figures["updates_lost"] or passing else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.soak")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("soak-results.json"))
    args = parser.parse_args()
    results = asyncio.run(main(args.seed))
    args.out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    sys.exit(verdict(results))
