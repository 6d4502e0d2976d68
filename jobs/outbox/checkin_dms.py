"""The check-in DMs: the prompt, its one reminder, the close that records an unanswered
check-in missed, and the prompt redrawn once answered (rows queued by jobs/checkins/service.py).

Each handler reads the check-in as it is when the row goes out and applies the prompt machine
(jobs/checkins/prompt.py): a reminder or a close of a check-in answered meanwhile is skipped.
No DM goes out in the owner's quiet hours. When the chat platform refuses the owner for good,
the check-in ends undeliverable, so nothing more is sent for it; the row itself then fails as
any row does (jobs/outbox/sender.py), and someone who can fix it is told.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.checkins.cadence import ask_at
from jobs.checkins.prompt import (
    FINAL,
    Prompt,
    Transition,
    close_due_at,
    on_close_due,
    on_remind_due,
    on_undeliverable,
    reminder_due_at,
)
from jobs.checkins.rows import (
    ANSWERED,
    CLOSE,
    PROMPT,
    REMINDER,
    prompt_of,
    quiet_of,
    stored_cadence,
    timing_of,
)
from jobs.checkins.transitions import Event, apply_event
from jobs.context import EngineContext
from jobs.escalation.compose import Subject
from jobs.messages import CheckinAnswered, CheckinPrompt
from jobs.messenger import DeliveryError, PermanentDeliveryError
from jobs.outbox.outcomes import Apply, Done, Later, Outcome, Skip
from storage import checkins as checkin_store
from storage.models import Checkin, CheckinState, OutboxMessage

Handler = Callable[[OutboxMessage, Subject], Awaitable[Outcome]]
# How soon a close that kept losing races with answers tries again.
RETRY_AFTER = timedelta(minutes=1)


@dataclass
class CheckinDms:
    """Sends the check-in DMs through the messenger."""

    context: EngineContext

    @property
    def handlers(self) -> dict[str, Handler]:
        """The handler of each check-in kind, for jobs/outbox/deliveries.py."""
        return {
            PROMPT: self.prompt,
            REMINDER: self.reminder,
            CLOSE: self.close,
            ANSWERED: self.answered,
        }

    async def prompt(self, message: OutboxMessage, subject: Subject) -> Outcome:
        """Ask the owner, unless the check-in ended or is about to close unasked."""
        row = await self._read(message)
        if row is None:
            return Skip("the check-in is gone")
        if row.state in FINAL:
            return Skip(f"the check-in is {row.state}")
        now = self.context.clock()
        if now >= close_due_at(prompt_of(row), timing_of(message.payload)):
            return Skip("too late to ask: the check-in closes")  # the close records it missed
        return await self._send(message, row, subject, reminder=False, mark=None)

    async def reminder(self, message: OutboxMessage, subject: Subject) -> Outcome:
        """Ask again, once, when the check-in is still only asked."""
        row = await self._read(message)
        if row is None:
            return Skip("the check-in is gone")
        now, timing = self.context.clock(), timing_of(message.payload)
        prompt = prompt_of(row)
        if not on_remind_due(prompt, now, timing).changed:
            if row.state == CheckinState.ASKED.value:
                return Later(reminder_due_at(prompt, timing), "the reminder is not due yet")
            return Skip(f"the check-in is {row.state}")
        if now >= close_due_at(prompt, timing):
            return Skip("too late to remind: the check-in closes")

        def remind(current: Prompt) -> Transition:
            return on_remind_due(current, now, timing)

        return await self._send(message, row, subject, reminder=True, mark=remind)

    async def close(self, message: OutboxMessage, subject: Subject) -> Outcome:
        """Record the check-in missed if nobody answered in time; no DM."""
        now, timing = self.context.clock(), timing_of(message.payload)
        checkin_id = int(message.payload["checkin_id"])
        async with self.context.database.transaction() as session:
            step = await apply_event(
                session=session,
                team_id=message.team_id,
                checkin_id=checkin_id,
                event=lambda prompt: on_close_due(prompt, now, timing),
            )
            row = await checkin_store.get_checkin(
                session=session, team_id=message.team_id, checkin_id=checkin_id
            )
        if row is None:
            return Skip("the check-in is gone")
        if step is None:  # answered or delivered at each try: look again shortly
            return Later(now + RETRY_AFTER, "the check-in kept changing")
        if step.changed:
            return Done({"missed": True})
        if row.state in FINAL:
            return Skip(f"the check-in is {row.state}")
        return Later(close_due_at(prompt_of(row), timing), "the close is not due yet")

    async def answered(self, message: OutboxMessage, subject: Subject) -> Outcome:
        """Redraw the prompt DM to say what was answered (the latest answer, read now)."""
        row = await self._read(message)
        if row is None or row.id is None:
            return Skip("the check-in is gone")
        if row.state != CheckinState.ANSWERED.value or row.answered_at is None:
            return Skip(f"the check-in is {row.state}")
        if not row.dm_channel or not row.dm_ts:
            return Skip("no prompt DM to redraw")
        view = CheckinAnswered(
            goal=subject.line,
            checkin_id=row.id,
            confidence=row.confidence,
            value=row.value,
            moved=row.moved,
            blockers=row.blockers,
            answered_at=row.answered_at,
            late=row.late,
        )
        try:
            await self.context.messenger_for(row.team_id).update(row.dm_channel, row.dm_ts, view)
        except PermanentDeliveryError as exc:  # the DM is gone: the answer is stored all the same
            return Skip(f"the prompt DM cannot be redrawn: {exc.reason}")
        return Done({"ts": row.dm_ts, "channel": row.dm_channel})

    # -- helpers -----------------------------------------------------------------------------

    async def _read(self, message: OutboxMessage) -> Checkin | None:
        async with self.context.database.transaction() as session:
            return await checkin_store.get_checkin(
                session=session,
                team_id=message.team_id,
                checkin_id=int(message.payload["checkin_id"]),
            )

    async def _send(
        self,
        message: OutboxMessage,
        row: Checkin,
        subject: Subject,
        *,
        reminder: bool,
        mark: Event | None,
    ) -> Outcome:
        """DM the prompt (after the owner's quiet hours); the row's transaction then stores
        where it went and applies `mark`. A permanent refusal ends the check-in undeliverable
        and is raised on, so the row fails as usual."""
        assert row.id is not None
        now = self.context.clock()
        tz = (
            await self.context.messenger_for(row.team_id).user_timezone(row.user_id)
            or self.context.timezone
        )
        when = ask_at(now, tz, quiet_of(message.payload))
        if when > now:
            return Later(when, f"quiet hours in {tz}")
        try:
            channel, ts = await self.context.messenger_for(row.team_id).send_dm(
                row.user_id, self._view(row, subject, reminder=reminder)
            )
        except DeliveryError as exc:
            if exc.permanent:
                await self._undeliverable(message.team_id, row.id)
            raise
        return Done(
            {"ts": ts, "channel": channel}, _stored(message.team_id, row.id, channel, ts, mark)
        )

    async def _undeliverable(self, team_id: str, checkin_id: int) -> None:
        async with self.context.database.transaction() as session:
            await apply_event(
                session=session,
                team_id=team_id,
                checkin_id=checkin_id,
                event=on_undeliverable,
            )

    def _view(self, row: Checkin, subject: Subject, *, reminder: bool) -> CheckinPrompt:
        goal = subject.goal
        metric = self.context.catalog.get(goal.metric_key)
        found = stored_cadence(goal.checkin_cadence)
        return CheckinPrompt(
            goal=subject.line,
            checkin_id=row.id or 0,
            cadence=found[0] if found is not None else None,
            due_date=goal.due_date,
            reminder=reminder,
            manual=metric is not None
            and metric.source is not None
            and metric.source.kind == "manual",
        )


def _stored(team_id: str, checkin_id: int, channel: str, ts: str, mark: Event | None) -> Apply:
    """Store where the prompt went (a reminder's DM replaces it: the latest one is redrawn once
    answered) and apply `mark` (reminded), with the row marked sent."""

    async def apply(session: AsyncSession) -> list[OutboxMessage]:
        await checkin_store.set_prompt_dm(
            session=session, team_id=team_id, checkin_id=checkin_id, channel=channel, ts=ts
        )
        if mark is not None:
            await apply_event(session=session, team_id=team_id, checkin_id=checkin_id, event=mark)
        return []

    return apply
