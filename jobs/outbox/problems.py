"""When Slack refuses a message for good, tell someone who can fix it, once a day per problem.

A row that ends as failed (storage/outbox.py) queues one `problem` notice in the same
transaction, keyed by what failed and why:

    problem:{team}:{channel or user}:{reason}:{UTC date}

so a channel the bot was never invited to produces one notice a day, however many messages
fail on it. The notice goes as a DM to the goal's lead (else the channel's), else its owner —
skipping the person the failure is about — and, when no DM gets through, to the goal's channel
unless that channel is what failed. A notice that cannot be delivered ends as failed and is
never itself the subject of another notice, so this always ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.context import EngineContext
from jobs.digest.build import DueDigest
from jobs.escalation.episode import EscalationPolicy, deliver_at
from jobs.escalation.flow import recipient_for
from jobs.messages import DeliveryProblem
from jobs.messenger import DeliveryError, PermanentDeliveryError
from jobs.outbox.outcomes import Done, Later, Outcome, Skip
from storage import escalation as escalation_store
from storage import goals as goal_store
from storage.models import OutboxMessage

PROBLEM = "problem"
PROBLEM_KINDS = frozenset({PROBLEM})


def problem_notice(
    message: OutboxMessage, error: DeliveryError, *, now: datetime
) -> OutboxMessage | None:
    """The notice a row failing for good queues; None for a notice (they never cascade)."""
    if message.kind in PROBLEM_KINDS:
        return None
    target = error.target or "-"
    day = now.astimezone(UTC).date().isoformat()
    return OutboxMessage(
        run_key=f"problem:{message.team_id}:{target}:{error.reason}:{day}",
        team_id=message.team_id,
        goal_id=message.goal_id,
        kind=PROBLEM,
        payload={
            "reason": error.reason,
            "target": error.target,
            "failed_kind": message.kind,
            "permanent": error.permanent,
        },
        due_at=now,
        created_at=now,
        result={},
    )


async def digest_problem(
    session: AsyncSession, item: DueDigest, error: DeliveryError, *, now: datetime
) -> OutboxMessage | None:
    """The notice a digest failing for good queues, hung on one of its channel's goals."""
    goals = await goal_store.list_goals(
        session=session, team_id=item.team_id, channel_id=item.channel_id
    )
    if not goals or goals[0].id is None:
        return None
    stand_in = OutboxMessage(
        run_key=item.run_key,
        team_id=item.team_id,
        goal_id=goals[0].id,
        kind="digest",
        due_at=now,
        created_at=now,
    )
    return problem_notice(stand_in, error, now=now)


@dataclass
class DeliveryProblems:
    """Delivers `problem` notices."""

    context: EngineContext
    # Whom Slack gives no timezone is taken to be in UTC here, not in the deployment's
    # timezone as for the other messages.
    fallback_timezone: str = "UTC"
    # Only its quiet hours apply: a notice is sent once, never repeated.
    policy: EscalationPolicy = field(default_factory=EscalationPolicy)

    async def handle(self, message: OutboxMessage) -> Outcome:
        """DM the lead or owner, else post in the channel; raise when nobody can be told."""
        payload, now = message.payload, self.context.clock()
        async with self.context.database.transaction() as session:
            goal = (
                await escalation_store.goals_by_id(session=session, goal_ids=[message.goal_id])
            ).get(message.goal_id)
            if goal is None or goal.team_id != message.team_id:
                return Skip("the goal is gone")
            lead = await recipient_for(session, goal, "lead")
        target = payload.get("target")
        notice = DeliveryProblem(
            reason=payload["reason"],
            target=target,
            channel_id=goal.channel_id,
            metric_key=goal.metric_key,
            failed_kind=payload.get("failed_kind", ""),
            permanent=bool(payload.get("permanent", True)),
        )
        people = [u for u in dict.fromkeys((lead, goal.owner_id)) if u and u != target]
        if people:
            tz = (
                await self.context.messenger_for(goal.team_id).user_timezone(people[0])
                or self.fallback_timezone
            )
            when = deliver_at(now, recipient_tz=tz, policy=self.policy)
            if when > now:
                return Later(when, f"quiet hours in {tz}")
        for user in people:
            try:
                channel, ts = await self.context.messenger_for(goal.team_id).send_dm(user, notice)
            except PermanentDeliveryError:
                continue  # that person cannot be reached either: try the next
            return Done({"ts": ts, "channel": channel, "to": user})
        if target == goal.channel_id:
            raise PermanentDeliveryError("nobody_to_tell", target=target)
        ts = await self.context.messenger_for(goal.team_id).post(goal.channel_id, notice)
        return Done({"ts": ts, "channel": goal.channel_id})
