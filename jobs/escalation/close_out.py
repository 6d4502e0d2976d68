"""A remediation's 72-hour close-out, decided once however many processes and clicks race it.

Deciding is a versioned update of the remediation, retried from fresh state; the outcome is
stored in the close-out's outbox row with the follow-ups (overdue DMs, "nobody holds the role"
notes, the closed redraws) in the same transaction, and only then is the note posted
(jobs/outbox/deliveries.py), so a retried post says the same thing and a Resolve never meets an
"overdue" note.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jobs.context import EngineContext
from jobs.digest.model import GoalLine
from jobs.escalation import rows
from jobs.escalation.flow import recipient_for
from jobs.escalation.remediation import (
    EscalateToCeo,
    EscalateToLead,
    PostCloseOut,
    due_timers,
    fire,
)
from jobs.outbox.outcomes import Later, Skip
from storage import escalation as escalation_store
from storage import outbox
from storage.db import Database
from storage.models import Band, EpisodeRow, Goal, OutboxMessage, RemediationRow

ATTEMPTS = 3  # re-reads after losing a race with a click


async def decided_close_out(database: Database, message: OutboxMessage) -> dict[str, Any] | None:
    """The decision a close-out row stored, if it was taken already."""
    async with database.transaction() as session:
        row = await outbox.by_run_key(session=session, run_key=message.run_key)
    return row.payload.get("decided") if row is not None else None


async def decide_close_out(
    *,
    context: EngineContext,
    message: OutboxMessage,
    goal: Goal,
    line: GoalLine,
    episode: EpisodeRow | None,
    retry_after: timedelta,
) -> dict[str, Any] | Skip | Later:
    """Close the remediation once: a versioned update retried from fresh state (a click in the
    meantime is never lost; a Resolve that won leaves nothing to close), stored in this row
    with its follow-ups, so a retried post says the same thing."""
    for _ in range(ATTEMPTS):
        async with context.database.transaction() as session:
            rem = await escalation_store.get_remediation(
                session=session,
                team_id=message.team_id,
                remediation_id=message.remediation_id or 0,
            )
            if rem is None or rem.id is None:
                return Skip("no remediation")
            if rem.status != "open":  # closed by a person, or by this row's other owner
                row = await outbox.by_run_key(session=session, run_key=message.run_key)
                decided = row.payload.get("decided") if row is not None else None
                return decided if decided is not None else Skip(f"remediation {rem.status}")
            plan = rows.remediation_from_row(rem)
            now = context.clock()
            timer = next((t for t in due_timers(plan, now=now) if t.kind == "close_out"), None)
            if timer is None:
                return Later(now + retry_after, "not due by the remediation's clock")
            band = known_band(line.band, episode)
            adverse = band in (Band.ORANGE, Band.RED) or line.trend_alert
            closed, effects = fire(plan, timer, now=now, metric_adverse=adverse, band=band)
            close = next(e for e in effects if isinstance(e, PostCloseOut))
            lead = rem.lead_id or await recipient_for(session, goal, "lead")
            ceo = await recipient_for(session, goal, "ceo")
            wanted: list[tuple[str, str | None]] = []
            if any(isinstance(e, EscalateToLead) for e in effects):
                wanted.append(("lead", lead))
            if any(isinstance(e, EscalateToCeo) for e in effects):
                wanted.append(("ceo", ceo))
            changed = await escalation_store.update_remediation(
                session=session,
                remediation_id=rem.id,
                version=rem.version,
                values={
                    "status": closed.status,
                    "closed_at": now,
                    "summary": close.summary[:500],
                },
            )
            if not changed:
                continue  # a click got there first: decide again from what it left
            decided = {
                "outcome": close.outcome,
                "summary": close.summary,
                "done": sum(item.done for item in closed.items),
                "total": len(closed.items),
                "escalated_to": [[role, user] for role, user in wanted if user],
            }
            await outbox.set_payload(
                session=session,
                message_id=message.id or 0,
                payload={**message.payload, "decided": decided},
            )
            await outbox.enqueue(
                session=session, messages=close_out_follow_ups(rem, wanted, now=now)
            )
            return decided
    return Later(context.clock() + retry_after, "the remediation kept changing")


def close_out_follow_ups(
    rem: RemediationRow, wanted: list[tuple[str, str | None]], *, now: datetime
) -> list[OutboxMessage]:
    """The overdue DMs (or a note that nobody holds the role) and the closed redraws."""
    rem_id = rem.id or 0
    follow: list[OutboxMessage] = []
    for role, user in wanted:
        if user is not None:
            follow.append(rows.overdue_dm(rem, role=role, recipient_id=user, now=now))
            continue
        follow.append(
            rows.note(
                team_id=rem.team_id,
                goal_id=rem.goal_id,
                remediation_id=rem_id,
                run_key=f"close_out:{rem_id}:missing-{role}",
                payload={"note": "missing", "role": role},
                now=now,
            )
        )
    for what in ("checklist_update", "parent_update"):
        follow.append(
            rows.redraw(
                team_id=rem.team_id,
                goal_id=rem.goal_id,
                remediation_id=rem_id,
                what=what,
                key="closed",
                now=now,
            )
        )
    return follow


def known_band(band: str, episode: EpisodeRow | None) -> str:
    """The goal's band; with no fresh data, the open episode's (stale data heals nothing)."""
    if band in (Band.NO_DATA, Band.INVALID) and episode is not None and episode.closed_at is None:
        return episode.current_band
    return band
