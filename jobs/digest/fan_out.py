"""A digest fan-out: which workspaces to evaluate whole first, and each process's own order."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence

from jobs.digest.build import ChannelSchedule, DueDigest

# A digest tick evaluates a whole workspace up front when at least 1/FAN_OUT_SHARE of its
# channels' digests are due together, instead of each channel before its digest.
FAN_OUT_SHARE = 4


def fanning_out(pending: Sequence[DueDigest], schedules: Sequence[ChannelSchedule]) -> set[str]:
    """The workspaces with at least 1/FAN_OUT_SHARE of their channels' digests due (pure)."""
    due = Counter(item.team_id for item in pending)
    channels = Counter(schedule.team_id for schedule in schedules)
    return {team_id for team_id in due if due[team_id] * FAN_OUT_SHARE >= channels[team_id]}


def everyone(fanning: set[str], schedules: Sequence[ChannelSchedule]) -> bool:
    """Every workspace with a digest is fanning out (more than one): evaluate all goals once."""
    return len(fanning) > 1 and fanning == {schedule.team_id for schedule in schedules}


def own_order(pending: list[DueDigest], worker: str) -> list[DueDigest]:
    """The due digests starting at a place of this worker's own (the list turned round), so
    processes sharing a fan-out start on different digests instead of racing for the same
    claims; each still tries them all."""
    if not pending:
        return pending
    start = zlib.crc32(worker.encode()) % len(pending)
    return pending[start:] + pending[:start]
