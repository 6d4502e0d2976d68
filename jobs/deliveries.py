"""What sending each kind of outbox message means: the parent and checklist of a remediation
thread, its notes, reminders and close-out, and the escalation DMs.

Everything is read fresh when the message goes out (the goal's numbers, the episode, who the
lead is), so a deferred message says what is true when it is sent. A handler returns whether
the message was sent (with the state to store alongside), is to wait, or no longer applies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
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
from storage import escalation as escalation_store
from storage import outbox
from storage.db import Database
from storage.models import Band, EpisodeRow, Goal, OutboxMessage, RemediationRow

Apply = Callable[[AsyncSession], Awaitable[list[OutboxMessage]]]
CLOSE_OUT_ATTEMPTS = 3  # re-reads after losing a race with a click


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
        view = alert_views.parent_view(
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
        view = alert_views.checklist_view(
            rem, subject.line, timezone=subject.timezone, now=self.clock()
        )
        ts = await self.messenger.post(rem.channel_id, view, thread_ts=rem.parent_ts)
        return Done({"ts": ts, "channel": rem.channel_id}, _set_ts(rem.id or 0, "checklist_ts", ts))

    async def _checklist_update(
        self, message: OutboxMessage, rem: RemediationRow, subject: Subject
    ) -> Outcome:
        if rem.checklist_ts is None:
            return Later(self.clock() + self.wait_for_thread, "the checklist is not posted yet")
        view = alert_views.checklist_view(
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
        view = alert_views.parent_view(
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
                return Skip(f"unknown note {other}")
        return await self._post_note(rem, note)

    async def _reminder(
        self, message: OutboxMessage, rem: RemediationRow, subject: Subject
    ) -> Outcome:
        if rem.status != "open":
            return Skip(f"remediation {rem.status}")
        plan = alert_rows.remediation_from_row(rem)
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
        decided = await self._decided(message)
        if decided is None:
            decision = await self._decide_close_out(message, subject)
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

    async def _decided(self, message: OutboxMessage) -> dict[str, Any] | None:
        async with self.database.transaction() as session:
            row = await outbox.by_run_key(session=session, run_key=message.run_key)
        return row.payload.get("decided") if row is not None else None

    async def _decide_close_out(
        self, message: OutboxMessage, subject: Subject
    ) -> dict[str, Any] | Skip | Later:
        for _ in range(CLOSE_OUT_ATTEMPTS):
            async with self.database.transaction() as session:
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
                plan = alert_rows.remediation_from_row(rem)
                now = self.clock()
                timer = next((t for t in due_timers(plan, now=now) if t.kind == "close_out"), None)
                if timer is None:
                    return Later(now + self.retry_after, "not due by the remediation's clock")
                band = _known_band(subject.line.band, subject.episode)
                adverse = band in (Band.ORANGE, Band.RED) or subject.line.trend_alert
                closed, effects = fire(plan, timer, now=now, metric_adverse=adverse, band=band)
                close = next(e for e in effects if isinstance(e, PostCloseOut))
                lead = rem.lead_id or await recipient_for(session, subject.goal, "lead")
                ceo = await recipient_for(session, subject.goal, "ceo")
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
                    session=session, messages=_close_out_follow_ups(rem, wanted, now=now)
                )
                return decided
        return Later(self.clock() + self.retry_after, "the remediation kept changing")

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


def _close_out_follow_ups(
    rem: RemediationRow, wanted: list[tuple[str, str | None]], *, now: datetime
) -> list[OutboxMessage]:
    """The overdue DMs (or a note that nobody holds the role) and the closed redraws."""
    rem_id = rem.id or 0
    follow: list[OutboxMessage] = []
    for role, user in wanted:
        if user is not None:
            follow.append(alert_rows.overdue_dm(rem, role=role, recipient_id=user, now=now))
            continue
        follow.append(
            alert_rows.note(
                team_id=rem.team_id,
                goal_id=rem.goal_id,
                remediation_id=rem_id,
                run_key=f"close_out:{rem_id}:missing-{role}",
                payload={"note": "missing", "role": role, "command": CONFIG_COMMANDS[role]},
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


def _known_band(band: str, episode: EpisodeRow | None) -> str:
    """The goal's band; with no fresh data, the open episode's (stale data heals nothing)."""
    if band in (Band.NO_DATA, Band.INVALID) and episode is not None and episode.closed_at is None:
        return episode.current_band
    return band


def _set_ts(remediation_id: int, field_name: str, ts: str) -> Apply:
    async def apply(session: AsyncSession) -> list[OutboxMessage]:
        await escalation_store.set_message_ts(
            session=session, remediation_id=remediation_id, field=field_name, ts=ts
        )
        return []

    return apply
