"""goalpulse checks on itself and tells the workspace's admins what needs looking at.

Every few minutes (jobs/scheduler.py) it looks for two problems:

- `outbox`: messages due and unsent for more than 10 minutes (Slack hangs, or sending is stuck);
- `source:{metric}`: a metric's source failing for more than a day, in each workspace with an
  active goal it feeds (directly or through a formula).

Each problem is told once a day. A run claim `self-check:{team}:{problem}:{UTC date}` is taken
before the admins are looked up (users.list), so neither a second process nor the next run asks
Slack again; then one outbox row per admin is queued, keyed

    self-check:{team}:{problem}:{UTC date}:{admin}

hung on the workspace's oldest active goal (a workspace without one is skipped), and sent as a
DM like every other message, after the admin's quiet hours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.context import EngineContext
from jobs.escalation.episode import EscalationPolicy, deliver_at
from jobs.messages import SelfCheckNotice
from jobs.messenger import DeliveryError
from jobs.metrics.source_notices import affected_metrics
from jobs.outbox.outcomes import Done, Later, Outcome, Skip
from storage import claims, health, outbox
from storage import goals as goal_store
from storage import sources as source_store
from storage.models import OutboxMessage

log = logging.getLogger("goalpulse.self_check")

SELF_CHECK = "self_check"
KINDS = frozenset({SELF_CHECK})
OVERDUE_AFTER = timedelta(minutes=10)
FAILING_AFTER = timedelta(days=1)
CLAIM_LEASE = timedelta(minutes=5)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Problem:
    """One thing to tell a workspace's admins about, and the goal its rows hang on."""

    team_id: str
    name: str  # "outbox" or "source:{metric}"
    goal_id: int
    payload: dict[str, Any]

    def claim_key(self, day: str) -> str:
        return f"self-check:{self.team_id}:{self.name}:{day}"


@dataclass
class SelfCheck:
    """Finds problems (`run`, the scheduled job) and delivers the DMs about them (`handle`)."""

    context: EngineContext
    # Only its quiet hours apply: a notice is sent once, never repeated.
    policy: EscalationPolicy = field(default_factory=EscalationPolicy)

    async def run(self) -> int:
        """Queue a DM to every admin about each problem not yet told today; returns how many."""
        now = self.context.clock()
        day = now.astimezone(UTC).date().isoformat()
        async with self.context.database.transaction() as session:
            found = await self.problems(session, now)
            claimed = [
                problem
                for problem in found
                if await claims.claim(
                    session=session,
                    run_key=problem.claim_key(day),
                    kind=SELF_CHECK,
                    team_id=problem.team_id,
                    worker=self.context.worker,
                    now=now,
                    lease_until=now + CLAIM_LEASE,
                )
            ]
        if not claimed:
            return 0
        try:
            # Each workspace's own admins, asked with its own token.
            admins_of = {
                team: await self.context.messenger_for(team).workspace_admins()
                for team in sorted({problem.team_id for problem in claimed})
            }
        except DeliveryError as exc:
            log.warning("self-check: cannot list the workspace's admins (%s); will retry", exc)
            async with self.context.database.transaction() as session:
                for problem in claimed:
                    await claims.release(
                        session=session,
                        run_key=problem.claim_key(day),
                        worker=self.context.worker,
                        retry_at=now,
                        error=str(exc),
                    )
            return 0
        rows = [
            _row(problem, admin, day=day, now=now)
            for problem in claimed
            for admin in admins_of[problem.team_id]
        ]
        async with self.context.database.transaction() as session:
            queued = await outbox.enqueue(session=session, messages=rows)
            for problem in claimed:
                await claims.complete(
                    session=session,
                    run_key=problem.claim_key(day),
                    worker=self.context.worker,
                    now=now,
                    result={"admins": admins_of[problem.team_id]},
                )
        for problem in claimed:
            admins = admins_of[problem.team_id]
            told = f"telling {', '.join(admins)}" if admins else "no admin to tell"
            log.warning("self-check: %s in %s; %s", problem.name, problem.team_id, told)
        return queued

    async def problems(self, session: AsyncSession, now: datetime) -> list[Problem]:
        """What is wrong now, per workspace with an active goal to hang a notice on."""
        found: list[tuple[str, str, dict[str, Any]]] = []
        for stuck in await health.backlog(session=session, due_before=now - OVERDUE_AFTER):
            payload = {"waiting": stuck.count, "since": _iso(stuck.oldest_due_at)}
            found.append((stuck.team_id, "outbox", payload))
        sourced = [
            m.key
            for m in self.context.catalog
            if m.source is not None and m.source.kind != "manual"
        ]
        failing = await source_store.failing_sources(session=session, metric_keys=sourced)
        for key, status in sorted(failing.items()):
            if status.failing_since is None or status.failing_since > now - FAILING_AFTER:
                continue
            fed = await goal_store.active_goals(
                session=session, metric_keys=affected_metrics(self.context.catalog, key)
            )
            payload = {"metric_key": key, "since": _iso(status.failing_since)}
            found += [(team, f"source:{key}", payload) for team in sorted({g.team_id for g in fed})]
        anchors = await health.oldest_active_goals(
            session=session, team_ids=sorted({team for team, _, _ in found})
        )
        return [
            Problem(team, name, anchors[team], {**payload, "seen_at": _iso(now)})
            for team, name, payload in found
            if team in anchors
        ]

    async def handle(self, message: OutboxMessage) -> Outcome:
        """Send one claimed notice to its admin (or say why not yet, or not at all)."""
        payload, now, recipient = message.payload, self.context.clock(), message.recipient_id or ""
        problem: Literal["outbox", "source"] = "source" if payload.get("metric_key") else "outbox"
        title = error = None
        if problem == "source":
            key = str(payload["metric_key"])
            async with self.context.database.transaction() as session:
                status = await source_store.status_of(session=session, metric_key=key)
            failing = status.failing_since if status is not None else None
            if status is None or failing is None or _iso(failing) != payload["since"]:
                return Skip("the source works again")
            metric = self.context.catalog.get(key)
            title, error = (metric.title if metric is not None else key), status.error
        tz = (
            await self.context.messenger_for(message.team_id).user_timezone(recipient)
            or self.context.timezone
        )
        when = deliver_at(now, recipient_tz=tz, policy=self.policy)
        if when > now:
            return Later(when, f"quiet hours in {tz}")
        notice = SelfCheckNotice(
            problem=problem,
            since=datetime.fromisoformat(payload["since"]),
            seen_at=datetime.fromisoformat(payload["seen_at"]),
            waiting=int(payload.get("waiting", 0)),
            metric_key=payload.get("metric_key"),
            title=title,
            error=error,
        )
        channel, ts = await self.context.messenger_for(message.team_id).send_dm(recipient, notice)
        return Done({"ts": ts, "channel": channel})


def _row(problem: Problem, admin: str, *, day: str, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        run_key=f"{problem.claim_key(day)}:{admin}",
        team_id=problem.team_id,
        goal_id=problem.goal_id,
        kind=SELF_CHECK,
        recipient_id=admin,
        payload=problem.payload,
        due_at=now,
        created_at=now,
        result={},
    )
