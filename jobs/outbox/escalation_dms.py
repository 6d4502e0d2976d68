"""The escalation DMs: a ping to the lead or the CEO, which queues the next repeat, and the
redraw of a DM someone clicked.

A ping waits for quiet hours to end and, as a repeat, for the episode machine's rule
(jobs/escalation/episode.py `repeat_hold`); it links to the remediation thread once posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.context import EngineContext, SendTiming
from jobs.escalation import rows
from jobs.escalation.compose import Subject, thread_message_failed
from jobs.escalation.episode import (
    EscalationPolicy,
    deliver_at,
    next_ping_at,
    policy_from_dict,
    repeat_hold,
)
from jobs.messages import EscalationDm
from jobs.outbox.outcomes import Done, Later, Outcome, Skip
from storage.models import EpisodeRow, OutboxMessage, RemediationRow


@dataclass
class EscalationDms:
    """Sends the escalation DMs through the messenger."""

    context: EngineContext
    timing: SendTiming

    def _view(
        self, message: OutboxMessage, subject: Subject, *, link: str | None, repeat: int
    ) -> EscalationDm:
        payload, episode = message.payload, subject.episode
        overdue = payload.get("reason") == "overdue"
        return EscalationDm(
            goal=subject.line,
            channel_id=subject.goal.channel_id,
            episode_id=(episode.id or 0) if episode is not None else 0,
            role=payload["role"],
            reason="repeat" if repeat > 0 and not overdue else payload["reason"],
            repeat=repeat,
            thread_link=link,
            acknowledged_by=episode.acknowledged_by
            if episode is not None and not overdue
            else None,
            snoozed_until=episode.snoozed_until if episode is not None and not overdue else None,
            remediation_id=message.remediation_id if overdue else None,
        )

    async def _thread_link(self, rem: RemediationRow | None) -> str | Later | None:
        if rem is None or rem.id is None:
            return None
        if rem.parent_ts is None:
            if await thread_message_failed(self.context, rem.id, "parent"):
                return None  # the DM goes out without a link
            return Later(
                self.context.clock() + self.timing.wait_for_thread, "the thread is not posted yet"
            )
        return await self.context.messenger_for(rem.team_id).permalink(
            rem.channel_id, rem.parent_ts
        )

    async def send(self, message: OutboxMessage, subject: Subject) -> Outcome:
        """Send a ping (after quiet hours, unless the repeat rule holds it) and queue the next."""
        payload, episode, now = message.payload, subject.episode, self.context.clock()
        recipient = message.recipient_id or ""
        repeat = int(payload.get("repeat", 0))
        overdue = payload.get("reason") == "overdue"
        policy = policy_from_dict(episode.policy) if episode is not None else EscalationPolicy()
        if not overdue:
            if episode is None or episode.closed_at is not None:
                return Skip("the goal recovered")
            held = _repeat_held(message, episode, repeat, now, policy) if repeat > 0 else None
            if held is not None:
                return held
        tz = (
            await self.context.messenger_for(message.team_id).user_timezone(recipient)
            or self.context.timezone
        )
        when = deliver_at(now, recipient_tz=tz, policy=policy)
        if when > now:
            return Later(when, f"quiet hours in {tz}")
        link = await self._thread_link(subject.remediation)
        if isinstance(link, Later):
            return link
        view = self._view(message, subject, link=link, repeat=repeat)
        channel, ts = await self.context.messenger_for(message.team_id).send_dm(recipient, view)
        result = {"ts": ts, "channel": channel}
        # This ping makes repeat + 1 sent; the next repeat, if any is left, is queued with it.
        due_at = next_ping_at(last_ping_at=now, pings_sent=repeat + 1, policy=policy)
        if overdue or episode is None or due_at is None:
            return Done(result)
        next_ping = rows.ping(
            team_id=message.team_id,
            goal_id=message.goal_id,
            episode_id=episode.id or 0,
            remediation_id=message.remediation_id,
            role=payload["role"],
            band=payload.get("band", episode.peak_band),
            recipient_id=recipient,
            reason="repeat",
            repeat=repeat + 1,
            due_at=due_at,
            now=now,
        )

        async def apply(session: AsyncSession) -> list[OutboxMessage]:
            return [next_ping]

        return Done(result, apply)

    async def redraw(self, message: OutboxMessage, subject: Subject) -> Outcome:
        """Redraw a DM someone clicked (Acknowledge/Snooze), so its buttons match the state."""
        payload = message.payload
        link = await self._thread_link(subject.remediation)
        view = self._view(
            message.model_copy(update={"payload": payload["dm"]}),
            subject,
            link=None if isinstance(link, Later) else link,
            repeat=int(payload["dm"].get("repeat", 0)),
        )
        await self.context.messenger_for(message.team_id).update(
            payload["channel"], payload["ts"], view
        )
        return Done({"ts": payload["ts"], "channel": payload["channel"]})


def _repeat_held(
    message: OutboxMessage,
    episode: EpisodeRow,
    repeat: int,
    now: datetime,
    policy: EscalationPolicy,
) -> Skip | Later | None:
    """Why repeat ping number `repeat` does not go out now, by the episode machine's rule
    (jobs/escalation/episode.py `repeat_hold`); None when it is due. A ping of a band the
    episode has since risen above gives way to the new band's chain."""
    hold = repeat_hold(
        rows.episode_from_row(episode),
        # Each repeat is queued as the ping before it goes out: its creation is that ping's.
        last_ping_at=message.created_at,
        pings_sent=repeat,
        now=now,
        policy=policy,
    )
    if hold == "acknowledged":
        return Skip(f"acknowledged by {episode.acknowledged_by}")
    if message.payload.get("band", episode.peak_band) != episode.peak_band:
        return Skip(f"superseded by the {episode.peak_band} escalation")
    match hold:
        case "snoozed":
            return Later(episode.snoozed_until or now, "snoozed")
        case "too_soon":
            return Later(message.created_at + policy.repeat_every, "not due by the cadence")
        case "used_up":
            return Skip("every repeat has gone out")
        case "recovered":
            return Skip("the goal recovered")
    return None
