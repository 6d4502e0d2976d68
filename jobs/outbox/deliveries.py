"""What sending each kind of outbox message means: the parent and checklist of a remediation
thread, its notes, reminders and close-out, and the escalation DMs.

Everything is read fresh when the message goes out (the goal's numbers, the episode, who the
lead is), so a deferred message says what is true when it is sent. A handler returns whether
the message was sent (with the state to store alongside), is to wait, or no longer applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.digest.model import GoalLine
from jobs.escalation import compose, rows
from jobs.escalation.close_out import decide_close_out, decided_close_out
from jobs.escalation.episode import EscalationPolicy, deliver_at, policy_from_dict
from jobs.escalation.remediation import (
    RemindOwners,
    due_timers,
    fire,
)
from jobs.messages import (
    Acknowledged,
    BandChanged,
    CloseOut,
    EscalationDm,
    LeadAlerted,
    MissingRecipient,
    Outgoing,
    Recovered,
    Reminder,
    Snoozed,
)
from jobs.messenger import Messenger
from jobs.metrics.catalog import MetricCatalog
from jobs.outbox.outcomes import Apply, Done, Later, Outcome, Skip
from storage import escalation as escalation_store
from storage import outbox
from storage.db import Database
from storage.models import EpisodeRow, Goal, OutboxMessage, RemediationRow


@dataclass
class Subject:
    """Everything one message is about, read fresh when it is sent."""

    goal: Goal
    line: GoalLine
    timezone: str
    remediation: RemediationRow | None
    episode: EpisodeRow | None


@dataclass
class Deliveries:
    """Sends one outbox message of any kind through the messenger."""

    database: Database
    messenger: Messenger
    catalog: MetricCatalog
    timezone: str
    clock: Callable[[], datetime]
    trend_trigger: int
    retry_after: timedelta
    # How soon to look again when a message waits for its thread to be posted.
    wait_for_thread: timedelta = timedelta(seconds=5)

    async def _subject(self, message: OutboxMessage) -> Subject | None:
        async with self.database.transaction() as session:
            goal = (
                await escalation_store.goals_by_id(session=session, goal_ids=[message.goal_id])
            ).get(message.goal_id)
            if goal is None or goal.team_id != message.team_id:
                return None
            line = await compose.load_goal_line(
                session=session,
                catalog=self.catalog,
                goal=goal,
                trend_trigger=self.trend_trigger,
                today=self.clock().astimezone(ZoneInfo(self.timezone)).date(),
            )
            timezone = await compose.channel_timezone(
                session=session,
                team_id=goal.team_id,
                channel_id=goal.channel_id,
                default=self.timezone,
            )
            remediation = (
                await escalation_store.get_remediation(
                    session=session, team_id=goal.team_id, remediation_id=message.remediation_id
                )
                if message.remediation_id is not None
                else None
            )
            episode = (
                await escalation_store.get_episode(
                    session=session, team_id=goal.team_id, episode_id=message.episode_id
                )
                if message.episode_id is not None
                else None
            )
            if remediation is not None and episode is None:
                episode = await escalation_store.episode_for_remediation(
                    session=session, remediation_id=remediation.id or 0
                )
        return Subject(goal, line, timezone, remediation, episode)

    async def handle(self, message: OutboxMessage) -> Outcome:
        """Send one claimed message (or say why not yet, or not at all)."""
        subject = await self._subject(message)
        if subject is None:
            return Skip("the goal was removed")
        if message.kind == "dm":
            return await self._dm(message, subject)
        if message.kind == "dm_update":
            return await self._dm_update(message, subject)
        rem = subject.remediation
        if rem is None or rem.id is None:
            return Skip("no remediation thread")
        if message.kind == "parent":
            return await self._parent(rem, subject)
        if rem.parent_ts is None:
            if not await self._failed(rem.id, "parent"):
                return Later(self.clock() + self.wait_for_thread, "the thread is not posted yet")
            if message.kind in ("checklist", "checklist_update", "parent_update"):
                return Skip("the thread could not be opened")
            # Notes, reminders and the close-out go to the goal's owner instead (_post_note).
        elif (
            message.kind != "checklist"
            and rem.checklist_ts is None
            and not await self._failed(rem.id, "checklist")
        ):
            # The checklist opens the thread; with several bots sending, notes wait for it.
            return Later(self.clock() + self.wait_for_thread, "the checklist is not posted yet")
        handlers = {
            "checklist": self._checklist,
            "checklist_update": self._checklist_update,
            "parent_update": self._parent_update,
            "reminder": self._reminder,
            "close_out": self._close_out,
            "note": self._note,
        }
        handler = handlers.get(message.kind)
        if handler is None:
            return Skip(f"unknown kind {message.kind}")
        return await handler(message, rem, subject)

    # -- the remediation thread -------------------------------------------------------------

    async def _parent(self, rem: RemediationRow, subject: Subject) -> Outcome:
        if rem.parent_ts is not None:
            return Skip("already posted")
        view = compose.parent_view(
            rem,
            subject.line,
            timezone=subject.timezone,
            recovered_at=None,
            trend_trigger=self.trend_trigger,
        )
        ts = await self.messenger.post(rem.channel_id, view)
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
            rem, subject.line, timezone=subject.timezone, now=self.clock()
        )
        ts = await self.messenger.post(rem.channel_id, view, thread_ts=rem.parent_ts)
        return Done({"ts": ts, "channel": rem.channel_id}, _set_ts(rem.id or 0, "checklist_ts", ts))

    async def _checklist_update(
        self, message: OutboxMessage, rem: RemediationRow, subject: Subject
    ) -> Outcome:
        if rem.checklist_ts is None:
            return Later(self.clock() + self.wait_for_thread, "the checklist is not posted yet")
        view = compose.checklist_view(
            rem, subject.line, timezone=subject.timezone, now=self.clock()
        )
        await self.messenger.update(rem.channel_id, rem.checklist_ts, view)
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
            trend_trigger=self.trend_trigger,
        )
        await self.messenger.update(rem.channel_id, rem.parent_ts, view)
        return Done({"ts": rem.parent_ts, "channel": rem.channel_id})

    async def _failed(self, remediation_id: int, what: str) -> bool:
        """Whether the thread's parent or checklist message failed for good."""
        async with self.database.transaction() as session:
            row = await outbox.by_run_key(
                session=session, run_key=f"remediation:{remediation_id}:{what}"
            )
        return row is not None and row.state == "failed"

    async def _post_note(self, rem: RemediationRow, note: Outgoing) -> Done:
        """Into the thread; when the thread could not be opened, to the goal's owner instead."""
        if rem.parent_ts is None:
            channel, ts = await self.messenger.send_dm(rem.owner_id, note)
            return Done({"ts": ts, "channel": channel, "instead_of_thread": True})
        ts = await self.messenger.post(rem.channel_id, note, thread_ts=rem.parent_ts)
        return Done({"ts": ts, "channel": rem.channel_id})

    async def _note(self, message: OutboxMessage, rem: RemediationRow, subject: Subject) -> Outcome:
        payload, line = message.payload, subject.line
        note: Outgoing
        match payload.get("note"):
            case "alerted":
                note = LeadAlerted(line, user_id=payload["user_id"], role=payload["role"])
            case "missing":
                note = MissingRecipient(line, role=payload["role"], command=payload["command"])
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
        now = self.clock()
        timer = next((t for t in due_timers(plan, now=now) if t.kind == f"reminder_{kind}"), None)
        if timer is None:
            return Later(now + self.retry_after, "not due by the remediation's clock")
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
        decided = await decided_close_out(self.database, message)
        if decided is None:
            decision = await decide_close_out(
                database=self.database,
                message=message,
                goal=subject.goal,
                line=subject.line,
                episode=subject.episode,
                clock=self.clock,
                retry_after=self.retry_after,
            )
            if not isinstance(decision, dict):
                return decision
            decided = decision
        async with self.database.transaction() as session:
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

    # -- direct messages --------------------------------------------------------------------

    def _dm_view(
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
            if await self._failed(rem.id, "parent"):
                return None  # the DM goes out without a link
            return Later(self.clock() + self.wait_for_thread, "the thread is not posted yet")
        return await self.messenger.permalink(rem.channel_id, rem.parent_ts)

    async def _dm(self, message: OutboxMessage, subject: Subject) -> Outcome:
        payload, episode, now = message.payload, subject.episode, self.clock()
        recipient = message.recipient_id or ""
        repeat = int(payload.get("repeat", 0))
        overdue = payload.get("reason") == "overdue"
        policy = policy_from_dict(episode.policy) if episode is not None else EscalationPolicy()
        if not overdue:
            if episode is None or episode.closed_at is not None:
                return Skip("the goal recovered")
            if repeat > 0 and episode.acknowledged_at is not None:
                return Skip(f"acknowledged by {episode.acknowledged_by}")
            if repeat > 0 and payload.get("band", episode.peak_band) != episode.peak_band:
                return Skip(f"superseded by the {episode.peak_band} escalation")
            if repeat > 0 and episode.snoozed_until is not None and now < episode.snoozed_until:
                return Later(episode.snoozed_until, "snoozed")
        tz = await self.messenger.user_timezone(recipient) or self.timezone
        when = deliver_at(now, recipient_tz=tz, policy=policy)
        if when > now:
            return Later(when, f"quiet hours in {tz}")
        link = await self._thread_link(subject.remediation)
        if isinstance(link, Later):
            return link
        view = self._dm_view(message, subject, link=link, repeat=repeat)
        channel, ts = await self.messenger.send_dm(recipient, view)
        result = {"ts": ts, "channel": channel}
        if overdue or episode is None or repeat >= policy.max_repeats:
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
            due_at=now + policy.repeat_every,
            now=now,
        )

        async def apply(session: AsyncSession) -> list[OutboxMessage]:
            return [next_ping]

        return Done(result, apply)

    async def _dm_update(self, message: OutboxMessage, subject: Subject) -> Outcome:
        """Redraw a DM someone clicked (Acknowledge/Snooze), so its buttons match the state."""
        payload = message.payload
        link = await self._thread_link(subject.remediation)
        view = self._dm_view(
            message.model_copy(update={"payload": payload["dm"]}),
            subject,
            link=None if isinstance(link, Later) else link,
            repeat=int(payload["dm"].get("repeat", 0)),
        )
        await self.messenger.update(payload["channel"], payload["ts"], view)
        return Done({"ts": payload["ts"], "channel": payload["channel"]})


def _set_ts(remediation_id: int, field_name: str, ts: str) -> Apply:
    async def apply(session: AsyncSession) -> list[OutboxMessage]:
        await escalation_store.set_message_ts(
            session=session, remediation_id=remediation_id, field=field_name, ts=ts
        )
        return []

    return apply
