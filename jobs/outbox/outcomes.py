"""What sending one outbox message came to: sent (Done), not yet (Later), or no longer (Skip).

Every handler of an outbox kind returns one of these; jobs/outbox/sender.py records it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage

Apply = Callable[[AsyncSession], Awaitable[list[OutboxMessage]]]


@dataclass(frozen=True)
class Skip:
    """The message no longer applies (the goal recovered, the remediation closed…)."""

    reason: str


@dataclass(frozen=True)
class Later:
    """Not now: try again from `until` (quiet hours, a snooze, a thread not posted yet)."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class Done:
    """Sent; `apply` stores what the send produced and returns follow-up messages."""

    result: dict[str, Any]
    apply: Apply | None = None


Outcome = Skip | Later | Done
