"""Sending a `guard_alert` (queued by jobs/evaluation/guards_flow.py): a guard metric got worse
than its threshold allows while the goal is on track.

It goes into the goal's open remediation thread when there is one (its parent posted), else as
a new message in the goal's channel, naming the goal's owner and lead. The breach's numbers are
the evaluation's (in the row); whether to send at all is read fresh: a guard removed since, or a
goal no longer on track (its own escalation speaks then), skips it.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.context import EngineContext
from jobs.escalation.compose import Subject
from jobs.escalation.flow import recipient_for
from jobs.goals.guardrails import read_guards
from jobs.messages import GuardrailBreached
from jobs.outbox.outcomes import Done, Outcome, Skip
from storage import escalation as escalation_store
from storage.models import Band, OutboxMessage


@dataclass
class GuardAlerts:
    """Posts guard alerts through the messenger."""

    context: EngineContext

    async def send(self, message: OutboxMessage, subject: Subject) -> Outcome:
        """Post the alert in the goal's thread or channel (or say why not)."""
        payload, goal = message.payload, subject.goal
        key = str(payload["guard_metric"])
        if not any(stored.guard.metric_key == key for stored in read_guards(goal.guardrails)):
            return Skip("the guard was removed")
        if subject.line.band != Band.GREEN.value:
            return Skip(f"the goal is {subject.line.band} now")
        async with self.context.database.transaction() as session:
            lead = await recipient_for(session, goal, "lead")
            found = await escalation_store.open_escalations(
                session=session, team_id=goal.team_id, goal_ids=[goal.id or 0]
            )
        _, remediation = found.get(goal.id or 0, (None, None))
        thread_ts = remediation.parent_ts if remediation is not None else None
        metric = self.context.catalog.get(key)
        alert = GuardrailBreached(
            goal=subject.line,
            guard_metric=key,
            guard_title=metric.title if metric is not None else key,
            guard_unit=metric.unit.value if metric is not None else "count",
            guard_scale=metric.scale if metric is not None else "fraction",
            guard_currency=metric.currency if metric is not None else "$",
            baseline=float(payload["baseline"]),
            value=float(payload["value"]),
            change=float(payload["change"]),
            threshold=float(payload["threshold"]),
            owner_id=goal.owner_id,
            lead_id=lead,
        )
        messenger = self.context.messenger_for(goal.team_id)
        ts = await messenger.post(goal.channel_id, alert, thread_ts=thread_ts)
        return Done({"ts": ts, "channel": goal.channel_id, "thread_ts": thread_ts})
