"""What sending each kind of outbox message means: the parent and checklist of a remediation
thread, its notes, reminders and close-out; the escalation DMs are jobs/outbox/escalation_dms.py,
the thread's customer heatmap jobs/outbox/heatmap.py.

Everything is read fresh when the message goes out (the goal's numbers, the episode, who the
lead is), so a deferred message says what is true when it is sent. A handler returns whether
the message was sent (with the state to store alongside), is to wait, or no longer applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.context import EngineContext, SendTiming
from jobs.escalation import compose, rows
from jobs.escalation.close_out import decide_close_out, decided_close_out
from jobs.escalation.compose import Subject, load_subject, thread_message_failed
from jobs.escalation.flow import CONFIG_COMMANDS
from jobs.escalation.remediation import (
    RemindOwners,
    due_timers,
    fire,
)
from jobs.evaluation.guards_flow import GUARD_ALERT
from jobs.evaluation.policy import EvaluationPolicy
from jobs.messages import (
    Acknowledged,
    BandChanged,
    CloseOut,
    LeadAlerted,
    MissingRecipient,
    Outgoing,
    Recovered,
    Reminder,
    Snoozed,
)
from jobs.outbox.checkin_dms import CheckinDms
from jobs.outbox.escalation_dms import EscalationDms
from jobs.outbox.guard_alerts import GuardAlerts
from jobs.outbox.heatmap import DatasetPlace, RemediationHeatmaps, datasets_beside
from jobs.outbox.outcomes import Apply, Done, Later, Outcome, Skip
from storage import escalation as escalation_store
from storage.models import OutboxMessage, RemediationRow


@dataclass
class Deliveries:
    """Sends one outbox message of any kind through the messenger."""

    context: EngineContext
    policy: EvaluationPolicy
    timing: SendTiming
    # Where the customer datasets are (the pull's SourceFetcher); beside metrics.yml if None.
    datasets: DatasetPlace | None = None
    dms: EscalationDms = field(init=False)
    heatmaps: RemediationHeatmaps = field(init=False)
    checkins: CheckinDms = field(init=False)
    guard_alerts: GuardAlerts = field(init=False)

    def __post_init__(self) -> None:
        self.dms = EscalationDms(context=self.context, timing=self.timing)
        self.checkins = CheckinDms(context=self.context)
        place = self.datasets or datasets_beside(self.context.catalog)
        self.heatmaps = RemediationHeatmaps(context=self.context, timing=self.timing, place=place)
        self.guard_alerts = GuardAlerts(context=self.context)

    async def handle(self, message: OutboxMessage) -> Outcome:
        """Send one claimed message (or say why not yet, or not at all)."""
        subject = await load_subject(self.context, self.policy, message)
        if subject is None:
            return Skip("the goal was removed")
        direct = {
            "dm": self.dms.send,
            "dm_update": self.dms.redraw,
            **self.checkins.handlers,
            GUARD_ALERT: self.guard_alerts.send,
        }.get(message.kind)
        if direct is not None:
            return await direct(message, subject)
        rem = subject.remediation
        if rem is None or rem.id is None:
            return Skip("no remediation thread")
        if message.kind == "parent":
            return await self._parent(rem, subject)
        waiting = await self._waits_for_thread(message.kind, rem)
        if waiting is not None:
            return waiting
        handlers = {
            "checklist": self._checklist,
            "checklist_update": self._checklist_update,
            "parent_update": self._parent_update,
            "reminder": self._reminder,
            "close_out": self._close_out,
            "note": self._note,
            rows.HEATMAP: self.heatmaps.send,
        }
        handler = handlers.get(message.kind)
        if handler is None:
            return Skip(f"unknown kind {message.kind}")
        return await handler(message, rem, subject)

    async def _waits_for_thread(self, kind: str, rem: RemediationRow) -> Later | Skip | None:
        """Why a message into the thread can't go out yet (or at all); None when it can.

        The parent opens the thread and the checklist comes first in it: with several bots
        sending, the rest wait for both, unless sending them failed for good."""
        if rem.parent_ts is not None:
            if kind == "checklist" or rem.checklist_ts is not None:
                return None
            if await thread_message_failed(self.context, rem.id or 0, "checklist"):
                return None
            return Later(
                self.context.clock() + self.timing.wait_for_thread,
                "the checklist is not posted yet",
            )
        if not await thread_message_failed(self.context, rem.id or 0, "parent"):
            return Later(
                self.context.clock() + self.timing.wait_for_thread, "the thread is not posted yet"
            )
        if kind in ("checklist", "checklist_update", "parent_update", rows.HEATMAP):
            return Skip("the thread could not be opened")
        # Notes, reminders and the close-out go to the goal's owner instead (_post_note).
        return None

    # -- the remediation thread -------------------------------------------------------------

    async def _parent(self, rem: RemediationRow, subject: Subject) -> Outcome:
        if rem.parent_ts is not None:
            return Skip("already posted")
        view = compose.parent_view(
            rem,
            subject.line,
            timezone=subject.timezone,
            recovered_at=None,
            policy=self.policy,
        )
        ts = await self.context.messenger_for(rem.team_id).post(rem.channel_id, view)
        return Done(
            {"ts": ts, "channel": rem.channel_id},
            _set_ts(rem.id or 0, "parent_ts", ts),
        )

    async def _checklist(
        self, message: OutboxMessage, rem: RemediationRow, subject: Subject
    ) -> Outcome:
        if rem.checklist_ts is not None:
            return Skip("already posted")
        view = compose.checklist_view(
            rem, subject.line, timezone=subject.timezone, now=self.context.clock()
        )
        ts = await self.context.messenger_for(rem.team_id).post(
            rem.channel_id, view, thread_ts=rem.parent_ts
        )
        return Done({"ts": ts, "channel": rem.channel_id}, _set_ts(rem.id or 0, "checklist_ts", ts))

    async def _checklist_update(
        self, message: OutboxMessage, rem: RemediationRow, subject: Subject
    ) -> Outcome:
        if rem.checklist_ts is None:
            return Later(
                self.context.clock() + self.timing.wait_for_thread,
                "the checklist is not posted yet",
            )
        view = compose.checklist_view(
            rem, subject.line, timezone=subject.timezone, now=self.context.clock()
        )
        await self.context.messenger_for(rem.team_id).update(rem.channel_id, rem.checklist_ts, view)
        return Done({"ts": rem.checklist_ts, "channel": rem.channel_id})

    async def _parent_update(
        self, message: OutboxMessage, rem: RemediationRow, subject: Subject
    ) -> Outcome:
        assert rem.parent_ts is not None
        episode = subject.episode
        recovered = episode.closed_at if episode is not None and episode.closed_at else None
        view = compose.parent_view(
            rem,
            subject.line,
            timezone=subject.timezone,
            recovered_at=recovered,
            policy=self.policy,
        )
        await self.context.messenger_for(rem.team_id).update(rem.channel_id, rem.parent_ts, view)
        return Done({"ts": rem.parent_ts, "channel": rem.channel_id})

    async def _post_note(self, rem: RemediationRow, note: Outgoing) -> Done:
        """Into the thread; when the thread could not be opened, to the goal's owner instead."""
        if rem.parent_ts is None:
            channel, ts = await self.context.messenger_for(rem.team_id).send_dm(rem.owner_id, note)
            return Done({"ts": ts, "channel": channel, "instead_of_thread": True})
        ts = await self.context.messenger_for(rem.team_id).post(
            rem.channel_id, note, thread_ts=rem.parent_ts
        )
        return Done({"ts": ts, "channel": rem.channel_id})

    async def _note(self, message: OutboxMessage, rem: RemediationRow, subject: Subject) -> Outcome:
        payload, line = message.payload, subject.line
        note: Outgoing
        match payload.get("note"):
            case "alerted":
                note = LeadAlerted(line, user_id=payload["user_id"], role=payload["role"])
            case "missing":
                role = payload["role"]
                note = MissingRecipient(line, role=role, command=CONFIG_COMMANDS[role])
            case "band_changed":
                note = BandChanged(line, previous=payload["previous"], band=payload["band"])
            case "recovered":
                note = Recovered(line)
            case "acknowledged":
                note = Acknowledged(line, user_id=payload["user_id"])
            case "snoozed":
                until = datetime.fromisoformat(payload["until"])
                note = Snoozed(
                    line, user_id=payload["user_id"], until=until, timezone=subject.timezone
                )
            case "closed_early":
                items = rows.items_from_json(rem.items)
                note = CloseOut(
                    line,
                    outcome="resolved_early",
                    summary=payload["summary"],
                    done=sum(item.done for item in items),
                    total=len(items),
                    closed_by=rem.closed_by,
                )
            case other:
                return Skip(f"unknown note {other}")
        return await self._post_note(rem, note)

    async def _reminder(
        self, message: OutboxMessage, rem: RemediationRow, subject: Subject
    ) -> Outcome:
        if rem.status != "open":
            return Skip(f"remediation {rem.status}")
        plan = rows.remediation_from_row(rem)
        kind = message.payload.get("kind", "24h")
        now = self.context.clock()
        timer = next((t for t in due_timers(plan, now=now) if t.kind == f"reminder_{kind}"), None)
        if timer is None:
            return Later(now + self.timing.retry_after, "not due by the remediation's clock")
        _, effects = fire(plan, timer, now=now, metric_adverse=True, band=subject.line.band)
        owners = next((e.user_ids for e in effects if isinstance(e, RemindOwners)), ())
        if not owners:
            return Skip("every item is done")
        items = plan.items
        note = Reminder(
            subject.line,
            kind=kind,
            owner_ids=owners,
            done=sum(item.done for item in items),
            total=len(items),
            due_at=rem.due_at,
            timezone=subject.timezone,
        )
        return await self._post_note(rem, note)

    async def _close_out(
        self, message: OutboxMessage, rem: RemediationRow, subject: Subject
    ) -> Outcome:
        """Decide the close-out once (stored with the state change), then post it.

        Deciding is a versioned update retried from fresh state, so a click in the meantime
        is never lost and never undone; a Resolve that got there first means there is nothing
        to close. The decision is stored in this row, so a retried post says the same thing.
        """
        decided = await decided_close_out(self.context.database, message)
        if decided is None:
            decision = await decide_close_out(
                context=self.context,
                message=message,
                goal=subject.goal,
                line=subject.line,
                episode=subject.episode,
                retry_after=self.timing.retry_after,
            )
            if not isinstance(decision, dict):
                return decision
            decided = decision
        async with self.context.database.transaction() as session:
            fresh = await escalation_store.get_remediation(
                session=session, team_id=rem.team_id, remediation_id=rem.id or 0
            )
        note = CloseOut(
            subject.line,
            outcome=decided["outcome"],
            summary=decided["summary"],
            done=decided["done"],
            total=decided["total"],
            escalated_to=tuple((role, user) for role, user in decided["escalated_to"]),
        )
        return await self._post_note(fresh or rem, note)


def _set_ts(remediation_id: int, field_name: str, ts: str) -> Apply:
    async def apply(session: AsyncSession) -> list[OutboxMessage]:
        await escalation_store.set_message_ts(
            session=session, remediation_id=remediation_id, field=field_name, ts=ts
        )
        return []

    return apply
