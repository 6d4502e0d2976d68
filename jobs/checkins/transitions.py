"""Moving a stored check-in through the prompt machine (jobs/checkins/prompt.py): one event
applied to the row as stored now, as a versioned update retried from fresh state; and
cancelling a goal's open check-ins when it is paused, removed or its check-ins are turned off.

Apart from jobs/checkins/service.py so that jobs/goals/ and jobs/outbox/ can use it without
importing the service (which builds on jobs/goals/service.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.checkins.prompt import Prompt, Transition, on_cancel
from jobs.checkins.rows import asked_keys, prompt_of
from storage import checkins as checkin_store
from storage import outbox

# Re-reads of a check-in whose version moved (answered or delivered meanwhile).
ATTEMPTS = 3

Event = Callable[[Prompt], Transition]


async def apply_event(
    *, session: AsyncSession, team_id: str, checkin_id: int, event: Event
) -> Transition | None:
    """Apply `event` to the check-in as stored now and store the new state; returns the
    transition (`changed` False when the event changed nothing), None when the check-in is
    gone or kept changing under us."""
    for _ in range(ATTEMPTS):
        row = await checkin_store.get_checkin(
            session=session, team_id=team_id, checkin_id=checkin_id
        )
        if row is None:
            return None
        step = event(prompt_of(row))
        if not step.changed:
            return step
        if await checkin_store.update_checkin(
            session=session,
            checkin_id=checkin_id,
            version=row.version,
            values={"state": step.state},
        ):
            return step
    return None


async def cancel_open(*, session: AsyncSession, team_id: str, goal_id: int, now: datetime) -> int:
    """Every open check-in of the goal → cancelled, its unsent prompt, reminder and close
    skipped, in the caller's transaction; returns how many were cancelled."""
    cancelled = 0
    for row in await checkin_store.open_checkins(session=session, team_id=team_id, goal_id=goal_id):
        assert row.id is not None
        step = await apply_event(
            session=session, team_id=team_id, checkin_id=row.id, event=on_cancel
        )
        # Unchanged: it ended meanwhile (answered, say), and that stands.
        if step is not None and step.changed:
            cancelled += 1
            await outbox.cancel_pending(
                session=session, run_keys=asked_keys(row.id), now=now, reason="check-in cancelled"
            )
    return cancelled
