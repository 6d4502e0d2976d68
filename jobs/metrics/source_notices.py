"""Tell goal owners when a metric's source starts failing, and when it works again.

The pull that starts a failure queues one DM per workspace and owner of an active goal on the
metric, or on a formula metric computed from it; the pull that ends the failure queues one
recovery DM for each failure DM it queued. Both are written in the pull's own transaction, and
their run keys name the failure by when it began, so a re-run pull or a second process queues
each DM once:

    source-down:{team}:{metric}:{failing since, ISO UTC}:{user}
    source-up:{team}:{metric}:{failing since, ISO UTC}:{user}

A row hangs on the recipient's oldest goal on the source (the outbox sends one goal's rows in
order, so a recovery DM follows its failure DM); the DM lists all of them. When it goes out, the
source's state and the recipient's goals are read fresh: a failure DM whose failure is over is
dropped, and a recovery DM goes only to whoever got the failure DM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.context import EngineContext, SendTiming
from jobs.escalation.episode import EscalationPolicy, deliver_at
from jobs.messages import AffectedGoal, SourceNotice
from jobs.metrics.catalog import MetricCatalog
from jobs.outbox.outcomes import Done, Later, Outcome, Skip
from storage import goals as goal_store
from storage import outbox
from storage import sources as source_store
from storage.models import Goal, OutboxMessage

DOWN, UP = "source_down", "source_up"
KINDS = frozenset({DOWN, UP})
_PREFIXES = {DOWN: "source-down", UP: "source-up"}


def affected_metrics(catalog: MetricCatalog, metric_key: str) -> list[str]:
    """The metric and every formula metric computed from it, directly or through another."""
    found = {metric_key}
    grew = True
    while grew:
        derived = {m.key for m in catalog if m.key not in found and m.formula_inputs() & found}
        found |= derived
        grew = bool(derived)
    return sorted(found)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def run_key(kind: str, *, team_id: str, metric_key: str, since: datetime, user_id: str) -> str:
    """The notice's run key: one per workspace, metric, failure and recipient."""
    return f"{_PREFIXES[kind]}:{team_id}:{metric_key}:{_iso(since)}:{user_id}"


def owner_of(goal: Goal) -> str:
    """Who owns a goal: its owner, else whoever set it."""
    return goal.owner_id or goal.created_by


async def queue_failure(
    *,
    session: AsyncSession,
    metric_key: str,
    metric_keys: Sequence[str],
    since: datetime,
    now: datetime,
) -> int:
    """Queue a failure DM per workspace and owner of an active goal on `metric_keys`."""
    goals = await goal_store.active_goals(session=session, metric_keys=list(metric_keys))
    recipients: dict[tuple[str, str], int] = {}
    for goal in goals:  # in id order: each owner's row hangs on their oldest goal on it
        recipients.setdefault((goal.team_id, owner_of(goal)), goal.id or 0)
    payload = {"metric_key": metric_key, "since": _iso(since)}
    messages = [
        _row(DOWN, team_id, goal_id, user, since=since, payload=payload, now=now)
        for (team_id, user), goal_id in recipients.items()
    ]
    return await outbox.enqueue(session=session, messages=messages)


async def queue_recovery(
    *, session: AsyncSession, metric_key: str, since: datetime, now: datetime
) -> int:
    """Queue a recovery DM for each failure DM queued about the failure that began at `since`."""
    told = [
        row
        for row in await outbox.with_key_part(
            session=session, kind=DOWN, part=f":{metric_key}:{_iso(since)}:"
        )
        if row.payload.get("metric_key") == metric_key and row.payload.get("since") == _iso(since)
    ]
    messages = [
        _row(
            UP,
            row.team_id,
            row.goal_id,
            row.recipient_id or "",
            since=since,
            payload={**row.payload, "down": row.run_key, "recovered_at": _iso(now)},
            now=now,
        )
        for row in told
    ]
    return await outbox.enqueue(session=session, messages=messages)


def _row(
    kind: str,
    team_id: str,
    goal_id: int,
    user_id: str,
    *,
    since: datetime,
    payload: dict[str, str],
    now: datetime,
) -> OutboxMessage:
    return OutboxMessage(
        run_key=run_key(
            kind, team_id=team_id, metric_key=payload["metric_key"], since=since, user_id=user_id
        ),
        team_id=team_id,
        goal_id=goal_id,
        kind=kind,
        recipient_id=user_id,
        payload=payload,
        due_at=now,
        created_at=now,
        result={},
    )


@dataclass
class SourceNotices:
    """Sends the source DMs (kinds `source_down` and `source_up`) through the messenger."""

    context: EngineContext
    timing: SendTiming
    # Only its quiet hours apply: a notice is sent once, never repeated.
    policy: EscalationPolicy = field(default_factory=EscalationPolicy)

    async def handle(self, message: OutboxMessage) -> Outcome:
        """Send one claimed notice (or say why not yet, or not at all)."""
        payload, now, recipient = message.payload, self.context.clock(), message.recipient_id or ""
        metric = self.context.catalog.get(payload["metric_key"])
        if metric is None:
            return Skip("the metric is no longer in the catalog")
        async with self.context.database.transaction() as session:
            status = await source_store.status_of(session=session, metric_key=metric.key)
            goals = await self._goals(session, message, metric.key)
            down = (
                await outbox.by_run_key(session=session, run_key=payload["down"])
                if message.kind == UP
                else None
            )
        failing = status.failing_since if status is not None else None
        if message.kind == DOWN:
            if failing is None or _iso(failing) != payload["since"]:
                return Skip("the source works again")
            if not goals:
                return Skip("no active goals on it any more")
        elif message.kind == UP:
            if down is None or (down.done_at is not None and not down.result.get("ts")):
                return Skip("the failure was not told")
            if down.done_at is None:  # it may wait for quiet hours to end: so does this
                until = max(now + self.timing.retry_after, down.due_at)
                return Later(until, "the failure notice is not sent yet")
            if failing is not None:
                return Skip("the source is failing again")
        else:
            return Skip(f"unknown kind {message.kind}")
        tz = await self.context.messenger.user_timezone(recipient) or self.context.timezone
        when = deliver_at(now, recipient_tz=tz, policy=self.policy)
        if when > now:
            return Later(when, f"quiet hours in {tz}")
        notice = SourceNotice(
            metric_key=metric.key,
            title=metric.title,
            failing_since=datetime.fromisoformat(payload["since"]),
            error=status.error if message.kind == DOWN and status is not None else None,
            goals=goals,
            recovered_at=(
                datetime.fromisoformat(payload["recovered_at"]) if message.kind == UP else None
            ),
        )
        channel, ts = await self.context.messenger.send_dm(recipient, notice)
        return Done({"ts": ts, "channel": channel})

    async def _goals(
        self, session: AsyncSession, message: OutboxMessage, metric_key: str
    ) -> tuple[AffectedGoal, ...]:
        """The recipient's active goals in the workspace that the metric's source feeds."""
        goals = await goal_store.active_goals(
            session=session,
            team_id=message.team_id,
            metric_keys=affected_metrics(self.context.catalog, metric_key),
        )
        return tuple(
            AffectedGoal(
                metric_key=goal.metric_key,
                title=self._title(goal.metric_key),
                channel_id=goal.channel_id,
                derived=goal.metric_key != metric_key,
            )
            for goal in goals
            if owner_of(goal) == message.recipient_id
        )

    def _title(self, metric_key: str) -> str:
        metric = self.context.catalog.get(metric_key)
        return metric.title if metric is not None else metric_key
