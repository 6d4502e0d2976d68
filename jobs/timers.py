"""The timers tick: send every due outbox message exactly once (DESIGN 3.6).

Each row is claimed with a lease, sent, and only then marked done, together with the state the
send produced (the parent's ts, the close-out's outcome) and any follow-up rows (the next repeat
ping, the overdue escalations). A message whose thread is not posted yet, or whose recipient is
in quiet hours or has snoozed, is handed back with a later due time: deferred, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs import alert_rows, alert_views
from jobs.alert_model import (
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
from jobs.alerts import CONFIG_COMMANDS, recipient_for
from jobs.digest_model import GoalLine
from jobs.escalation import EscalationPolicy, deliver_at, policy_from_dict
from jobs.messenger import Messenger
from jobs.metrics import MetricCatalog
from jobs.remediation import (
    EscalateToCeo,
    EscalateToLead,
    PostCloseOut,
    RemindOwners,
    due_timers,
    fire,
)
from storage import alerts as alert_store
from storage import outbox
from storage.db import Database
from storage.models import Band, EpisodeRow, Goal, OutboxMessage, RemediationRow

log = logging.getLogger("goalpulse.timers")

Status = Literal["sent", "skipped", "deferred", "failed", "taken"]
FOLLOW_UP_PASSES = 3
Apply = Callable[[AsyncSession], Awaitable[list[OutboxMessage]]]


@dataclass(frozen=True)
class TimerOutcome:
    """What happened to one outbox row in a tick."""

    run_key: str
    kind: str
    status: Status
    detail: str | None = None


@dataclass(frozen=True)
class _Skip:
    reason: str


@dataclass(frozen=True)
class _Later:
    until: datetime
    reason: str


@dataclass(frozen=True)
class _Done:
    result: dict[str, Any]
    apply: Apply | None = None


_Outcome = _Skip | _Later | _Done


@dataclass
class _Subject:
    """Everything one message is about, read fresh when it is sent."""

    goal: Goal
    line: GoalLine
    timezone: str
    remediation: RemediationRow | None
    episode: EpisodeRow | None


@dataclass
class OutboxSender:
    """Sends due outbox rows through the messenger; safe to run in several processes at once."""

    database: Database
    messenger: Messenger
    catalog: MetricCatalog
    timezone: str
    clock: Callable[[], datetime]
    worker: str
    trend_trigger: int = 3
    lease: timedelta = timedelta(minutes=5)
    retry_after: timedelta = timedelta(minutes=1)
    # How soon to look again when a message waits for its thread to be posted.
    wait_for_thread: timedelta = timedelta(seconds=5)
    concurrency: int = 8
    _goal_locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )

    async def run_due(self, *, goal_id: int | None = None) -> list[TimerOutcome]:
        """Send what is due (for one goal, or all), and the follow-ups that sending queued (a
        close-out's escalations, the next message in a thread) in further passes."""
        outcomes: list[TimerOutcome] = []
        for _ in range(FOLLOW_UP_PASSES):
            batch = await self._one_pass(goal_id)
            outcomes += batch
            if not any(outcome.status == "sent" for outcome in batch):
                break
        return outcomes

    async def _one_pass(self, goal_id: int | None) -> list[TimerOutcome]:
        """Send what is due now; one goal's messages go out in order."""
        async with self.database.transaction() as session:
            due = await outbox.due(session=session, now=self.clock(), goal_id=goal_id)
        by_goal: defaultdict[int, list[OutboxMessage]] = defaultdict(list)
        for message in due:
            by_goal[message.goal_id].append(message)
        limit = asyncio.Semaphore(self.concurrency)

        async def goal_queue(messages: list[OutboxMessage]) -> list[TimerOutcome]:
            async with limit, self._goal_locks[messages[0].goal_id]:
                return [await self._send_one(message) for message in messages]

        batches = await asyncio.gather(*(goal_queue(group) for group in by_goal.values()))
        return [outcome for batch in batches for outcome in batch]

    async def _send_one(self, message: OutboxMessage) -> TimerOutcome:
        assert message.id is not None
        now = self.clock()
        async with self.database.transaction() as session:
            claimed = await outbox.claim(
                session=session,
                message_id=message.id,
                worker=self.worker,
                now=now,
                lease_until=now + self.lease,
            )
        if not claimed:
            return TimerOutcome(message.run_key, message.kind, "taken")
        try:
            outcome = await self._handle(message)
        except Exception as exc:  # Slack refused or is down, or a bug: keep it, retry later
            log.warning("%s failed, will retry: %s", message.run_key, exc)
            async with self.database.transaction() as session:
                await outbox.postpone(
                    session=session,
                    message_id=message.id,
                    worker=self.worker,
                    until=self.clock() + self.retry_after,
                    error=f"{type(exc).__name__}: {exc}",
                )
            return TimerOutcome(message.run_key, message.kind, "failed", str(exc))
        async with self.database.transaction() as session:
            match outcome:
                case _Later(until=until, reason=reason):
                    await outbox.postpone(
                        session=session,
                        message_id=message.id,
                        worker=self.worker,
                        until=until,
                        error=None,
                    )
                    return TimerOutcome(message.run_key, message.kind, "deferred", reason)
                case _Skip(reason=reason):
                    await outbox.complete(
                        session=session,
                        message_id=message.id,
                        worker=self.worker,
                        now=self.clock(),
                        result={"skipped": reason},
                    )
                    return TimerOutcome(message.run_key, message.kind, "skipped", reason)
                case _Done(result=result, apply=apply):
                    follow_ups = await apply(session) if apply else []
                    await outbox.complete(
                        session=session,
                        message_id=message.id,
                        worker=self.worker,
                        now=self.clock(),
                        result=result,
                    )
                    await outbox.enqueue(session=session, messages=follow_ups)
        return TimerOutcome(message.run_key, message.kind, "sent", str(result.get("ts")))

    async def _subject(self, message: OutboxMessage) -> _Subject | None:
        async with self.database.transaction() as session:
            goal = (await alert_store.goals_by_id(session=session, goal_ids=[message.goal_id])).get(
                message.goal_id
            )
            if goal is None or goal.team_id != message.team_id:
                return None
            line = await alert_views.load_goal_line(
                session=session,
                catalog=self.catalog,
                goal=goal,
                trend_trigger=self.trend_trigger,
                today=self.clock().astimezone(ZoneInfo(self.timezone)).date(),
            )
            timezone = await alert_views.channel_timezone(
                session=session,
                team_id=goal.team_id,
                channel_id=goal.channel_id,
                default=self.timezone,
            )
            remediation = (
                await alert_store.get_remediation(
                    session=session, team_id=goal.team_id, remediation_id=message.remediation_id
                )
                if message.remediation_id is not None
                else None
            )
            episode = (
                await alert_store.get_episode(
                    session=session, team_id=goal.team_id, episode_id=message.episode_id
                )
                if message.episode_id is not None
                else None
            )
            if remediation is not None and episode is None:
                episode = await alert_store.episode_for_remediation(
                    session=session, remediation_id=remediation.id or 0
                )
        return _Subject(goal, line, timezone, remediation, episode)

    async def _handle(self, message: OutboxMessage) -> _Outcome:
        subject = await self._subject(message)
        if subject is None:
            return _Skip("the goal was removed")
        if message.kind == "dm":
            return await self._dm(message, subject)
        if message.kind == "dm_update":
            return await self._dm_update(message, subject)
        rem = subject.remediation
        if rem is None or rem.id is None:
            return _Skip("no remediation thread")
        if message.kind == "parent":
            return await self._parent(rem, subject)
        if rem.parent_ts is None:
            return _Later(self.clock() + self.wait_for_thread, "the thread is not posted yet")
        if message.kind != "checklist" and rem.checklist_ts is None:
            # The checklist opens the thread; with several bots sending, notes wait for it.
            return _Later(self.clock() + self.wait_for_thread, "the checklist is not posted yet")
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
            return _Skip(f"unknown kind {message.kind}")
        return await handler(message, rem, subject)

    # -- the remediation thread -------------------------------------------------------------

    async def _parent(self, rem: RemediationRow, subject: _Subject) -> _Outcome:
        if rem.parent_ts is not None:
            return _Skip("already posted")
        view = alert_views.parent_view(
            rem,
            subject.line,
            timezone=subject.timezone,
            recovered_at=None,
            trend_trigger=self.trend_trigger,
        )
        ts = await self.messenger.post(rem.channel_id, view)
        return _Done(
            {"ts": ts, "channel": rem.channel_id},
            _set_ts(rem.id or 0, "parent_ts", ts),
        )

    async def _checklist(
        self, message: OutboxMessage, rem: RemediationRow, subject: _Subject
    ) -> _Outcome:
        if rem.checklist_ts is not None:
            return _Skip("already posted")
        view = alert_views.checklist_view(
            rem, subject.line, timezone=subject.timezone, now=self.clock()
        )
        ts = await self.messenger.post(rem.channel_id, view, thread_ts=rem.parent_ts)
        return _Done(
            {"ts": ts, "channel": rem.channel_id}, _set_ts(rem.id or 0, "checklist_ts", ts)
        )

    async def _checklist_update(
        self, message: OutboxMessage, rem: RemediationRow, subject: _Subject
    ) -> _Outcome:
        if rem.checklist_ts is None:
            return _Later(self.clock() + self.wait_for_thread, "the checklist is not posted yet")
        view = alert_views.checklist_view(
            rem, subject.line, timezone=subject.timezone, now=self.clock()
        )
        await self.messenger.update(rem.channel_id, rem.checklist_ts, view)
        return _Done({"ts": rem.checklist_ts, "channel": rem.channel_id})

    async def _parent_update(
        self, message: OutboxMessage, rem: RemediationRow, subject: _Subject
    ) -> _Outcome:
        assert rem.parent_ts is not None
        episode = subject.episode
        recovered = episode.closed_at if episode is not None and episode.closed_at else None
        view = alert_views.parent_view(
            rem,
            subject.line,
            timezone=subject.timezone,
            recovered_at=recovered,
            trend_trigger=self.trend_trigger,
        )
        await self.messenger.update(rem.channel_id, rem.parent_ts, view)
        return _Done({"ts": rem.parent_ts, "channel": rem.channel_id})

    async def _post_note(self, rem: RemediationRow, note: Outgoing) -> _Done:
        ts = await self.messenger.post(rem.channel_id, note, thread_ts=rem.parent_ts)
        return _Done({"ts": ts, "channel": rem.channel_id})

    async def _note(
        self, message: OutboxMessage, rem: RemediationRow, subject: _Subject
    ) -> _Outcome:
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
                items = alert_rows.items_from_json(rem.items)
                note = CloseOut(
                    line,
                    outcome="resolved_early",
                    summary=payload["summary"],
                    done=sum(item.done for item in items),
                    total=len(items),
                    closed_by=rem.closed_by,
                )
            case other:
                return _Skip(f"unknown note {other}")
        return await self._post_note(rem, note)

    async def _reminder(
        self, message: OutboxMessage, rem: RemediationRow, subject: _Subject
    ) -> _Outcome:
        if rem.status != "open":
            return _Skip(f"remediation {rem.status}")
        plan = alert_rows.remediation_from_row(rem)
        kind = message.payload.get("kind", "24h")
        now = self.clock()
        timer = next((t for t in due_timers(plan, now=now) if t.kind == f"reminder_{kind}"), None)
        if timer is None:
            return _Later(now + self.retry_after, "not due by the remediation's clock")
        _, effects = fire(plan, timer, now=now, metric_adverse=True, band=subject.line.band)
        owners = next((e.user_ids for e in effects if isinstance(e, RemindOwners)), ())
        if not owners:
            return _Skip("every item is done")
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
        self, message: OutboxMessage, rem: RemediationRow, subject: _Subject
    ) -> _Outcome:
        if rem.status != "open":
            return _Skip(f"remediation {rem.status}")
        plan = alert_rows.remediation_from_row(rem)
        now = self.clock()
        timer = next((t for t in due_timers(plan, now=now) if t.kind == "close_out"), None)
        if timer is None:
            return _Later(now + self.retry_after, "not due by the remediation's clock")
        line = subject.line
        band = _known_band(line.band, subject.episode)
        adverse = band in (Band.ORANGE, Band.RED) or line.trend_alert
        closed, effects = fire(plan, timer, now=now, metric_adverse=adverse, band=band)
        close = next(e for e in effects if isinstance(e, PostCloseOut))
        async with self.database.transaction() as session:
            lead = rem.lead_id or await recipient_for(session, subject.goal, "lead")
            ceo = await recipient_for(session, subject.goal, "ceo")
        wanted: list[tuple[str, str | None]] = []
        if any(isinstance(e, EscalateToLead) for e in effects):
            wanted.append(("lead", lead))
        if any(isinstance(e, EscalateToCeo) for e in effects):
            wanted.append(("ceo", ceo))
        escalated = tuple((role, user) for role, user in wanted if user)
        done = sum(item.done for item in closed.items)
        note = CloseOut(
            line,
            outcome=close.outcome,
            summary=close.summary,
            done=done,
            total=len(closed.items),
            escalated_to=escalated,  # type: ignore[arg-type]  # roles are "lead"/"ceo"
        )
        result = (await self._post_note(rem, note)).result
        rem_id = rem.id or 0

        async def apply(session: AsyncSession) -> list[OutboxMessage]:
            await alert_store.update_remediation(
                session=session,
                remediation_id=rem_id,
                version=rem.version,
                values={"status": closed.status, "closed_at": now, "summary": close.summary[:500]},
            )
            follow = [
                alert_rows.overdue_dm(rem, role=role, recipient_id=user, now=now)
                for role, user in escalated
            ]
            for role, user in wanted:
                if user is None:
                    follow.append(
                        alert_rows.note(
                            team_id=rem.team_id,
                            goal_id=rem.goal_id,
                            remediation_id=rem_id,
                            run_key=f"close_out:{rem_id}:missing-{role}",
                            payload={
                                "note": "missing",
                                "role": role,
                                "command": CONFIG_COMMANDS[role],
                            },
                            now=now,
                        )
                    )
            for what in ("checklist_update", "parent_update"):
                follow.append(
                    alert_rows.redraw(
                        team_id=rem.team_id,
                        goal_id=rem.goal_id,
                        remediation_id=rem_id,
                        what=what,
                        key="closed",
                        now=now,
                    )
                )
            return follow

        return _Done(result, apply)

    # -- direct messages --------------------------------------------------------------------

    def _dm_view(
        self, message: OutboxMessage, subject: _Subject, *, link: str | None, repeat: int
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

    async def _thread_link(self, rem: RemediationRow | None) -> str | _Later | None:
        if rem is None:
            return None
        if rem.parent_ts is None:
            return _Later(self.clock() + self.wait_for_thread, "the thread is not posted yet")
        return await self.messenger.permalink(rem.channel_id, rem.parent_ts)

    async def _dm(self, message: OutboxMessage, subject: _Subject) -> _Outcome:
        payload, episode, now = message.payload, subject.episode, self.clock()
        recipient = message.recipient_id or ""
        repeat = int(payload.get("repeat", 0))
        overdue = payload.get("reason") == "overdue"
        policy = policy_from_dict(episode.policy) if episode is not None else EscalationPolicy()
        if not overdue:
            if episode is None or episode.closed_at is not None:
                return _Skip("the goal recovered")
            if repeat > 0 and episode.acknowledged_at is not None:
                return _Skip(f"acknowledged by {episode.acknowledged_by}")
            if repeat > 0 and payload.get("band", episode.peak_band) != episode.peak_band:
                return _Skip(f"superseded by the {episode.peak_band} escalation")
            if repeat > 0 and episode.snoozed_until is not None and now < episode.snoozed_until:
                return _Later(episode.snoozed_until, "snoozed")
        tz = await self.messenger.user_timezone(recipient) or self.timezone
        when = deliver_at(now, recipient_tz=tz, policy=policy)
        if when > now:
            return _Later(when, f"quiet hours in {tz}")
        link = await self._thread_link(subject.remediation)
        if isinstance(link, _Later):
            return link
        view = self._dm_view(message, subject, link=link, repeat=repeat)
        channel, ts = await self.messenger.send_dm(recipient, view)
        result = {"ts": ts, "channel": channel}
        if overdue or episode is None or repeat >= policy.max_repeats:
            return _Done(result)
        next_ping = alert_rows.ping(
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

        return _Done(result, apply)

    async def _dm_update(self, message: OutboxMessage, subject: _Subject) -> _Outcome:
        """Redraw a DM someone clicked (Acknowledge/Snooze), so its buttons match the state."""
        payload = message.payload
        link = await self._thread_link(subject.remediation)
        view = self._dm_view(
            message.model_copy(update={"payload": payload["dm"]}),
            subject,
            link=None if isinstance(link, _Later) else link,
            repeat=int(payload["dm"].get("repeat", 0)),
        )
        await self.messenger.update(payload["channel"], payload["ts"], view)
        return _Done({"ts": payload["ts"], "channel": payload["channel"]})


def _known_band(band: str, episode: EpisodeRow | None) -> str:
    """The goal's band; with no fresh data, the open episode's (stale data heals nothing)."""
    if band in (Band.NO_DATA, Band.INVALID) and episode is not None and episode.closed_at is None:
        return episode.current_band
    return band


def _set_ts(remediation_id: int, field_name: str, ts: str) -> Apply:
    async def apply(session: AsyncSession) -> list[OutboxMessage]:
        await alert_store.set_message_ts(
            session=session, remediation_id=remediation_id, field=field_name, ts=ts
        )
        return []

    return apply
