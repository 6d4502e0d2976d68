"""Tell goal owners when a source starts failing, and when it works again.

A source is a metric's own (SQL, CSV, HTTP), or a customer dataset several metrics are computed
from: a broken dataset is one failure, told once to each owner with every metric it stops.

The pull that starts a failure queues one DM per workspace and owner of an active goal on one of
its metrics, or on a formula metric computed from one; the pull that ends the failure queues one
recovery DM for each failure DM it queued. Both are written in the pull's own transaction, and
their run keys name the failure by its source and when it began, so a re-run pull or a second
process queues each DM once:

    source-down:{team}:{source}:{failing since, ISO UTC}:{user}
    source-up:{team}:{source}:{failing since, ISO UTC}:{user}

`{source}` is the metric's key, or `dataset-` and the datasets' names (`dataset-orders`), which
no metric key can be.

A row hangs on the recipient's oldest goal on the source (the outbox sends one goal's rows in
order, so a recovery DM follows its failure DM); the DM lists all of them. When it goes out, the
source's state and the recipient's goals are read fresh: a failure DM whose failure is over is
dropped, and a recovery DM goes only to whoever got the failure DM.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.context import EngineContext, SendTiming
from jobs.customers.measures import MEASURES
from jobs.escalation.episode import EscalationPolicy, deliver_at
from jobs.messages import AffectedGoal, SourceNotice
from jobs.metrics.catalog import Metric, MetricCatalog
from jobs.outbox.outcomes import Done, Later, Outcome, Skip
from storage import goals as goal_store
from storage import outbox
from storage import sources as source_store
from storage.models import Goal, OutboxMessage, SourceStatus

DOWN, UP = "source_down", "source_up"
KINDS = frozenset({DOWN, UP})
_PREFIXES = {DOWN: "source-down", UP: "source-up"}
DATASETS = ("orders", "activity")


@dataclass(frozen=True)
class Source:
    """What one failure notice is about: a metric's source, or datasets (`datasets`)."""

    name: str  # in the run key: the metric's key, or `dataset-orders`
    metric_keys: tuple[str, ...]  # the metrics it stops, in the catalog's order
    datasets: tuple[str, ...] = ()


def affected_metrics(catalog: MetricCatalog, *metric_keys: str) -> list[str]:
    """The metrics and every formula metric computed from them, directly or through another."""
    found = set(metric_keys)
    grew = True
    while grew:
        derived = {m.key for m in catalog if m.key not in found and m.formula_inputs() & found}
        found |= derived
        grew = bool(derived)
    return sorted(found)


def dataset_sources(catalog: MetricCatalog, errors: Mapping[str, str]) -> list[Source]:
    """The dataset failures behind these dataset metrics' errors (metric key → error).

    Metrics failing with the same error in one pull failed in one reading of the datasets: one
    failure, named by the datasets they all need (or, sharing none, by all they need).
    """
    by_error: dict[str, list[str]] = {}
    for key, error in errors.items():
        by_error.setdefault(error, []).append(key)
    by_datasets: dict[tuple[str, ...], list[str]] = {}
    for keys in by_error.values():
        needs = [set(_datasets_of(catalog.get(key))) for key in keys]
        shared = set.intersection(*needs) or set.union(*needs)
        names = tuple(name for name in DATASETS if name in shared) or DATASETS
        by_datasets.setdefault(names, []).extend(keys)
    order = {metric.key: n for n, metric in enumerate(catalog)}
    return [
        Source(f"dataset-{'-'.join(names)}", tuple(sorted(keys, key=order.__getitem__)), names)
        for names, keys in by_datasets.items()
    ]


def _datasets_of(metric: Metric | None) -> tuple[str, ...]:
    """The datasets a dataset metric is computed from."""
    measure = MEASURES.get(metric.measure) if metric and metric.measure else None
    if measure is None:
        return ()
    return DATASETS if measure.needs == "both" else (measure.needs,)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def run_key(kind: str, *, team_id: str, source: str, since: datetime, user_id: str) -> str:
    """The notice's run key: one per workspace, source, failure and recipient."""
    return f"{_PREFIXES[kind]}:{team_id}:{source}:{_iso(since)}:{user_id}"


def owner_of(goal: Goal) -> str:
    """Who owns a goal: its owner, else whoever set it."""
    return goal.owner_id or goal.created_by


def _metric_keys(payload: Mapping[str, Any]) -> list[str]:
    """The metrics a notice is about (a row queued before datasets were told once: its one)."""
    keys = payload.get("metric_keys") or [payload["metric_key"]]
    return [str(key) for key in keys]


async def queue_failure(
    *,
    session: AsyncSession,
    source: Source,
    affected: Sequence[str],
    since: datetime,
    now: datetime,
) -> int:
    """Queue a failure DM per workspace and owner of an active goal on `affected`."""
    goals = await goal_store.active_goals(session=session, metric_keys=list(affected))
    recipients: dict[tuple[str, str], int] = {}
    for goal in goals:  # in id order: each owner's row hangs on their oldest goal on it
        recipients.setdefault((goal.team_id, owner_of(goal)), goal.id or 0)
    payload: dict[str, Any] = {
        "metric_key": source.metric_keys[0],
        "metric_keys": list(source.metric_keys),
        "since": _iso(since),
    }
    if source.datasets:
        payload["datasets"] = list(source.datasets)
    messages = [
        _row(
            DOWN,
            run_key(DOWN, team_id=team_id, source=source.name, since=since, user_id=user),
            team_id,
            goal_id,
            user,
            payload=payload,
            now=now,
        )
        for (team_id, user), goal_id in recipients.items()
    ]
    return await outbox.enqueue(session=session, messages=messages)


async def queue_recovery(
    *,
    session: AsyncSession,
    metric_keys: Collection[str],
    since: datetime,
    now: datetime,
    failing: Mapping[str, datetime] | None = None,
) -> int:
    """Queue a recovery DM for each failure DM queued about these metrics' failure that began
    at `since`, unless another of its metrics still fails since then (`failing`: the metrics
    failing after this pull, with since when)."""
    began = _iso(since)
    still = {key for key, moment in (failing or {}).items() if _iso(moment) == began}
    told = [
        row
        for row in await outbox.with_key_part(session=session, kind=DOWN, part=f":{began}:")
        if row.payload.get("since") == began
        and not set(metric_keys).isdisjoint(_metric_keys(row.payload))
        and still.isdisjoint(_metric_keys(row.payload))
    ]
    down, up = f"{_PREFIXES[DOWN]}:", f"{_PREFIXES[UP]}:"
    messages = [
        _row(
            UP,
            up + row.run_key.removeprefix(down),
            row.team_id,
            row.goal_id,
            row.recipient_id or "",
            payload={**row.payload, "down": row.run_key, "recovered_at": _iso(now)},
            now=now,
        )
        for row in told
    ]
    return await outbox.enqueue(session=session, messages=messages)


def _row(
    kind: str,
    key: str,
    team_id: str,
    goal_id: int,
    user_id: str,
    *,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    return OutboxMessage(
        run_key=key,
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
        metrics = self._metrics(payload)
        if not metrics:
            return Skip("the metric is no longer in the catalog")
        async with self.context.database.transaction() as session:
            failing = await source_store.failing_sources(
                session=session, metric_keys=[metric.key for metric in metrics]
            )
            if message.kind == DOWN:  # it tells the metrics still failing since its failure
                metrics = _failing_since(metrics, failing, payload["since"])
            goals = await self._goals(session, message, [metric.key for metric in metrics])
            down = (
                await outbox.by_run_key(session=session, run_key=payload["down"])
                if message.kind == UP
                else None
            )
        if message.kind == DOWN:
            if not metrics:
                return Skip("the source works again")
            if not goals:
                return Skip("no active goals on it any more")
        elif message.kind == UP:
            if (waits := self._recovery_waits(down, failing, now)) is not None:
                return waits
        else:
            return Skip(f"unknown kind {message.kind}")
        tz = (
            await self.context.messenger_for(message.team_id).user_timezone(recipient)
            or self.context.timezone
        )
        when = deliver_at(now, recipient_tz=tz, policy=self.policy)
        if when > now:
            return Later(when, f"quiet hours in {tz}")
        lead = metrics[0]
        notice = SourceNotice(
            metric_key=lead.key,
            title=lead.title,
            failing_since=datetime.fromisoformat(payload["since"]),
            error=failing[lead.key].error if message.kind == DOWN else None,
            goals=goals,
            recovered_at=(
                datetime.fromisoformat(payload["recovered_at"]) if message.kind == UP else None
            ),
            datasets=tuple(payload.get("datasets", ())),
            metrics=tuple(metric.title for metric in metrics),
        )
        channel, ts = await self.context.messenger_for(message.team_id).send_dm(recipient, notice)
        return Done({"ts": ts, "channel": channel})

    def _recovery_waits(
        self, down: OutboxMessage | None, failing: Mapping[str, SourceStatus], now: datetime
    ) -> Outcome | None:
        """Why a recovery notice is not sent now (`down`: its failure notice), if it is not."""
        if down is None or (down.done_at is not None and not down.result.get("ts")):
            return Skip("the failure was not told")
        if down.done_at is None:  # it may wait for quiet hours to end: so does this
            until = max(now + self.timing.retry_after, down.due_at)
            return Later(until, "the failure notice is not sent yet")
        if failing:
            return Skip("the source is failing again")
        return None

    async def _goals(
        self, session: AsyncSession, message: OutboxMessage, metric_keys: Sequence[str]
    ) -> tuple[AffectedGoal, ...]:
        """The recipient's active goals in the workspace that the metrics' source feeds."""
        goals = await goal_store.active_goals(
            session=session,
            team_id=message.team_id,
            metric_keys=affected_metrics(self.context.catalog, *metric_keys),
        )
        return tuple(
            AffectedGoal(
                metric_key=goal.metric_key,
                title=self._title(goal.metric_key),
                channel_id=goal.channel_id,
                derived=goal.metric_key not in metric_keys,
            )
            for goal in goals
            if owner_of(goal) == message.recipient_id
        )

    def _metrics(self, payload: Mapping[str, Any]) -> list[Metric]:
        """The metrics a notice is about that are still in the catalog."""
        found = (self.context.catalog.get(key) for key in _metric_keys(payload))
        return [metric for metric in found if metric is not None]

    def _title(self, metric_key: str) -> str:
        metric = self.context.catalog.get(metric_key)
        return metric.title if metric is not None else metric_key


def _failing_since(
    metrics: Sequence[Metric], failing: Mapping[str, SourceStatus], since: str
) -> list[Metric]:
    """The metrics still failing since the failure that began at `since` (ISO UTC)."""
    return [
        metric
        for metric in metrics
        if (status := failing.get(metric.key)) is not None
        and status.failing_since is not None
        and _iso(status.failing_since) == since
    ]
