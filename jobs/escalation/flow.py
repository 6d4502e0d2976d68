"""From evaluations to escalations: step each goal's episode, open remediations, queue messages.

Runs after every evaluation, in any process. Nothing is sent here: every message becomes an
outbox row (unique run key) in the same transaction as the state change that caused it, and the
timers tick sends it. Two processes stepping the same evaluation race on the database: opening
is insert-if-absent and updates are versioned, so only one of them queues the messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import singledispatch
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.errors import CommandLine
from jobs.escalation import rows
from jobs.escalation.episode import (
    Effect,
    EscalationPolicy,
    MarkRecovered,
    NoteInThread,
    NotifyCeo,
    NotifyLead,
    OpenRemediation,
    policy_to_dict,
    step,
)
from jobs.escalation.remediation import open_remediation
from jobs.escalation.treatments import measure_tier, treatment_for
from jobs.evaluation.policy import EvaluationPolicy
from jobs.metrics.catalog import MetricCatalog
from storage import escalation as escalation_store
from storage import outbox, workspace
from storage.models import Band, EpisodeRow, Goal, OutboxMessage, RemediationRow

ALERT_BANDS = {Band.ORANGE.value, Band.RED.value}
# The command that sets a role nobody holds; a "missing" note derives it from its role.
CONFIG_COMMANDS = {
    "lead": CommandLine("config", "lead", "@someone"),
    "ceo": CommandLine("config", "ceo", "@someone"),
}


@dataclass(frozen=True)
class _Context:
    """What the steps of one batch share."""

    now: datetime
    policy: EscalationPolicy
    evaluation: EvaluationPolicy
    catalog: MetricCatalog


async def escalate(
    *,
    session: AsyncSession,
    evaluations: Sequence[dict[str, Any]],
    now: datetime,
    policy: EscalationPolicy,
    evaluation: EvaluationPolicy,
    catalog: MetricCatalog,
) -> int:
    """Step the episodes of freshly evaluated goals; returns how many messages were queued.

    `policy` applies to the episodes that open; `evaluation` says how long a decline streak
    must be to open a trend remediation; `catalog` which tier a goal's metric is about."""
    goal_ids = sorted({int(row["goal_id"]) for row in evaluations})
    episodes = await escalation_store.open_episodes(session=session, goal_ids=goal_ids)
    relevant = [
        row
        for row in sorted(evaluations, key=lambda r: int(r["goal_id"]))
        if row["band"] in ALERT_BANDS
        or int(row["goal_id"]) in episodes
        or int(row["consecutive_adverse"]) >= evaluation.trend_trigger
    ]
    if not relevant:
        return 0
    ids = [int(row["goal_id"]) for row in relevant]
    goals = await escalation_store.goals_by_id(session=session, goal_ids=ids)
    latest = await escalation_store.latest_remediations(session=session, goal_ids=ids)
    context = _Context(now=now, policy=policy, evaluation=evaluation, catalog=catalog)
    messages: list[OutboxMessage] = []
    for row in relevant:
        goal = goals.get(int(row["goal_id"]))
        if goal is None:
            continue
        messages += await _step_goal(
            session, context, goal, row, episodes.get(goal.id or 0), latest.get(goal.id or 0)
        )
    return await outbox.enqueue(session=session, messages=messages)


async def _step_goal(
    session: AsyncSession,
    context: _Context,
    goal: Goal,
    evaluation: dict[str, Any],
    row: EpisodeRow | None,
    latest: RemediationRow | None,
) -> list[OutboxMessage]:
    band, day = str(evaluation["band"]), evaluation["day"]
    if row is not None and (row.last_day, row.last_band) == (day, band):
        return []  # this very evaluation was stepped already
    episode = rows.episode_from_row(row) if row is not None else None
    trend = _new_trend(evaluation, latest, context, day)
    updated, effects = step(
        episode,
        goal_id=goal.id or 0,
        band=Band(band),
        trend_alert=trend,
        now=context.now,
        policy=context.policy,
    )
    if updated is None:  # no episode: at most a trend remediation
        if not any(isinstance(effect, OpenRemediation) for effect in effects):
            return []
        opened = await _open_remediation(session, context, goal, "trend", episode_id=None)
        return opened.messages + opened.last
    if row is None:
        values = rows.episode_values(updated) | {
            "goal_id": goal.id,
            "team_id": goal.team_id,
            "channel_id": goal.channel_id,
            "opened_at": updated.opened_at,
            "policy": policy_to_dict(updated.policy),
            "last_day": day,
            "last_band": band,
            "version": 1,
        }
        episode_id = await escalation_store.insert_episode(session=session, values=values)
        if episode_id is None:
            return []  # another process opened it a moment ago and queued the messages
        version = 1
        remediation_id = None
    else:
        assert row.id is not None
        values = rows.episode_values(updated) | {"last_day": day, "last_band": band}
        if not await escalation_store.update_episode(
            session=session, episode_id=row.id, version=row.version, values=values
        ):
            return []
        episode_id, version, remediation_id = row.id, row.version + 1, row.remediation_id
    previous = row.current_band if row is not None else None
    return await _carry_out(
        session, context, goal, effects, episode_id, version, remediation_id, previous
    )


def _new_trend(
    evaluation: dict[str, Any], latest: RemediationRow | None, context: _Context, day: date
) -> bool:
    """A decline streak long enough that no remediation has covered yet."""
    streak = int(evaluation["consecutive_adverse"])
    if streak < context.evaluation.trend_trigger:
        return False
    if latest is None:
        return True
    # A remediation opened during this streak already answers it.
    return latest.opened_at.date() <= day - timedelta(days=streak)


@dataclass
class _Thread:
    """One episode's effects being carried out: the ids its messages name, and the messages."""

    session: AsyncSession
    context: _Context
    goal: Goal
    episode_id: int
    # The episode row's version; each update made here moves it on by one.
    version: int
    remediation_id: int | None
    previous_band: str | None
    messages: list[OutboxMessage] = field(default_factory=list)
    # Queued after every other message of the step: one goal's rows go out in order, and the
    # lead's and CEO's DMs must not wait for the heatmap's scoring.
    last: list[OutboxMessage] = field(default_factory=list)

    async def open_remediation(self, trigger: str) -> None:
        """Open (or join) the goal's remediation and link the episode to it."""
        opened = await _open_remediation(
            self.session, self.context, self.goal, trigger, episode_id=self.episode_id
        )
        self.remediation_id = opened.remediation_id
        self.messages += opened.messages
        self.last += opened.last
        await escalation_store.update_episode(
            session=self.session,
            episode_id=self.episode_id,
            version=self.version,
            values={"remediation_id": self.remediation_id},
        )
        self.version += 1

    def note(self, key: str, payload: dict[str, Any]) -> None:
        """Queue a note in the remediation's thread."""
        self.messages.append(
            rows.note(
                team_id=self.goal.team_id,
                goal_id=self.goal.id or 0,
                remediation_id=self.remediation_id,
                episode_id=self.episode_id,
                run_key=f"note:{self.episode_id}:{key}:{self.version}",
                payload=payload,
                now=self.context.now,
            )
        )


async def _carry_out(
    session: AsyncSession,
    context: _Context,
    goal: Goal,
    effects: list[Effect],
    episode_id: int,
    version: int,
    remediation_id: int | None,
    previous_band: str | None,
) -> list[OutboxMessage]:
    """The messages an episode step's effects queue (opening a remediation also stores it)."""
    thread = _Thread(session, context, goal, episode_id, version, remediation_id, previous_band)
    # Remediations open first: the notes and pings after them name the remediation.
    for effect in effects:
        if isinstance(effect, OpenRemediation):
            await thread.open_remediation(effect.trigger)
    if any(isinstance(e, NotifyLead | NotifyCeo) and e.reason == "rose" for e in effects):
        thread.note("rose", {"note": "band_changed", "previous": previous_band, "band": "red"})
    for effect in effects:
        await _queue(effect, thread)
    return thread.messages + thread.last


@singledispatch
async def _queue(effect: Effect, thread: _Thread) -> None:
    """Queue the messages one effect asks for; an effect registered below none does nothing here
    (`OpenRemediation` is carried out before)."""


@_queue.register
async def _notify(effect: NotifyLead | NotifyCeo, thread: _Thread) -> None:
    """A note naming who was alerted (or that nobody holds the role) and their first ping."""
    role = "lead" if isinstance(effect, NotifyLead) else "ceo"
    recipient = await recipient_for(thread.session, thread.goal, role)
    if recipient is None:
        thread.note(f"missing-{role}", {"note": "missing", "role": role})
        return
    thread.note(f"alerted-{role}", {"note": "alerted", "role": role, "user_id": recipient})
    thread.messages.append(
        rows.ping(
            team_id=thread.goal.team_id,
            goal_id=thread.goal.id or 0,
            episode_id=thread.episode_id,
            remediation_id=thread.remediation_id,
            role=role,
            band=effect.band.value,
            recipient_id=recipient,
            reason=effect.reason if effect.reason == "rose" else "opened",
            repeat=0,
            due_at=thread.context.now,
            now=thread.context.now,
        )
    )


@_queue.register
async def _note_in_thread(effect: NoteInThread, thread: _Thread) -> None:
    """A fall to orange or a recovery becomes a note; an acknowledgement is noted where it is
    clicked (jobs/escalation/interactions.py)."""
    if effect.text_kind == "band_fell":
        fell = {"note": "band_changed", "previous": thread.previous_band, "band": "orange"}
        thread.note("fell", fell)
    elif effect.text_kind == "recovered":
        thread.note("recovered", {"note": "recovered"})


@_queue.register
async def _mark_recovered(effect: MarkRecovered, thread: _Thread) -> None:
    """Redraw the remediation's parent message, when there is one, to say the goal recovered."""
    if thread.remediation_id is None:
        return
    thread.messages.append(
        rows.redraw(
            team_id=thread.goal.team_id,
            goal_id=thread.goal.id or 0,
            remediation_id=thread.remediation_id,
            what="parent_update",
            key=f"recovered:{thread.episode_id}",
            now=thread.context.now,
        )
    )


async def _open_remediation(
    session: AsyncSession,
    context: _Context,
    goal: Goal,
    trigger: str,
    *,
    episode_id: int | None,
) -> _Opened:
    """Open the goal's remediation, or join the one already open (one per goal)."""
    lead = await recipient_for(session, goal, "lead")
    owner = goal.owner_id or goal.created_by
    extra = await workspace.workspace_checklist_items(session=session, team_id=goal.team_id)
    plan = open_remediation(
        goal_id=str(goal.id),
        trigger=trigger,  # type: ignore[arg-type]  # one of the escalation triggers
        owner_id=owner,
        lead_id=lead,
        now=context.now,
        first_items=await _treatment(session, context, goal),
        extra_items=extra,
    )
    values = {
        "goal_id": goal.id,
        "team_id": goal.team_id,
        "channel_id": goal.channel_id,
        "trigger": trigger,
        "opened_at": plan.opened_at,
        "due_at": plan.due_at,
        "status": "open",
        "items": rows.items_to_json(plan.items),
        "owner_id": owner,
        "lead_id": lead,
        "version": 1,
    }
    remediation_id = await escalation_store.insert_remediation(session=session, values=values)
    if remediation_id is None:
        existing = await escalation_store.latest_remediations(
            session=session, goal_ids=[goal.id or 0]
        )
        return _Opened(existing[goal.id].id if goal.id in existing else None, [], [])
    row = RemediationRow(id=remediation_id, **values)  # type: ignore[arg-type]
    metric = context.catalog.get(goal.metric_key)
    measure = metric.measure if metric is not None else None
    return _Opened(
        remediation_id,
        rows.remediation_messages(row, now=context.now),
        rows.heatmap_messages(row, measure=measure, now=context.now),
    )


@dataclass(frozen=True)
class _Opened:
    """A remediation opened (or joined): its id, its thread's messages, and the heatmap rows
    that go out after everything else the step queues."""

    remediation_id: int | None
    messages: list[OutboxMessage]
    last: list[OutboxMessage]


async def _treatment(session: AsyncSession, context: _Context, goal: Goal) -> tuple[str, ...]:
    """The treatment of the customer tier the goal's metric is about (the workspace's, else the
    default), as the checklist's first item; nothing for a metric about no tier."""
    metric = context.catalog.get(goal.metric_key)
    tier = measure_tier(metric.measure if metric is not None else None)
    if tier is None:
        return ()
    overrides = await workspace.workspace_tier_treatments(session=session, team_id=goal.team_id)
    return (treatment_for(tier, overrides),)


async def recipient_for(session: AsyncSession, goal: Goal, role: str) -> str | None:
    """The goal's lead (else the channel's), or the workspace's CEO."""
    if role == "ceo":
        settings = await workspace.get_workspace_settings(session=session, team_id=goal.team_id)
        return settings.ceo_id if settings else None
    if goal.lead_id:
        return goal.lead_id
    channel = await workspace.get_channel_settings(
        session=session, team_id=goal.team_id, channel_id=goal.channel_id
    )
    return channel.lead_id if channel else None
