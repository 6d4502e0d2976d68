"""What a person's Home page shows, as plain data: built in jobs/home/load.py, rendered in
bot/render/home.py. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from jobs.digest.model import GoalLine
from jobs.escalation.remediation import ChecklistItem

Role = Literal["owner", "lead", "owner and lead"]


@dataclass(frozen=True)
class HomeGoal:
    """One goal the person owns or leads, as the digest shows it (escalation included)."""

    channel_id: str
    role: Role
    line: GoalLine


@dataclass(frozen=True)
class HomeChecklist:
    """An open remediation's items the person may tick: every open item when they own or lead
    the goal, else the open items handed to them. Never empty."""

    remediation_id: int
    channel_id: str
    metric_key: str
    title: str
    due_at: datetime
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class ChannelCounts:
    """A channel where the person owns or leads a goal: its active goals counted by band."""

    channel_id: str
    counts: tuple[tuple[str, int], ...]  # (band, how many), worst band first


@dataclass(frozen=True)
class HomeChart:
    """The goal the person picked for the chart on their page, with up to 30 days of its
    metric's values (oldest first; empty when it has none yet)."""

    goal: HomeGoal
    history: tuple[tuple[date, float], ...]


@dataclass(frozen=True)
class HomePage:
    """Everything one person's Home tab shows as of `now`."""

    user_id: str
    now: datetime
    goals: tuple[HomeGoal, ...]
    checklists: tuple[HomeChecklist, ...]
    channels: tuple[ChannelCounts, ...]
    # The picked goal's chart; None when nothing is picked or the pick is no longer theirs.
    chart: HomeChart | None = None


@dataclass(frozen=True)
class BandChange:
    """An evaluation moved a goal from one band to another (`before` None: its first)."""

    team_id: str
    goal_id: int
    before: str | None
    after: str


# Told, after each evaluation, of the goals whose band it changed (jobs/engine.py); must return
# at once and never raise: bot/home/refresh.py refreshes their owners' and leads' Home tabs.
BandsChanged = Callable[[Sequence[BandChange]], None]
