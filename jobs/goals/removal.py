"""Removing a goal: asked first in Slack, then a soft delete that keeps its history.

The goal leaves lists, digests, evaluation and escalation; its open episode and remediation
close (versioned, retried from fresh state) and its unsent escalation messages are cancelled,
in one transaction. Nothing new is queued. Setting the goal again brings the same row back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.checkins.transitions import cancel_open
from jobs.errors import (
    Channel,
    Code,
    CommandLine,
    ConflictError,
    NotFoundError,
    Part,
    Person,
    phrase,
)
from jobs.goals.service import (
    ATTEMPTS,
    Actor,
    audit_change,
    editable_goal,
    remembering,
    require_editor,
    snapshot,
)
from jobs.i18n import _
from jobs.reader_days import calendar_date
from storage import escalation as escalation_store
from storage import goals as goal_store
from storage import outbox
from storage.db import Database
from storage.models import Goal, GoalStatus

REMOVED_REMEDIATION = "removed"
REMOVED_SUMMARY = "Closed because the goal was removed."


async def removable_goal(
    *, session: AsyncSession, team_id: str, channel_id: str, actor: Actor, metric_key: str
) -> Goal:
    """The goal the `remove` command asks to confirm, once the actor may remove it; changes
    nothing."""
    return await editable_goal(session, team_id, channel_id, metric_key, remembering(actor))


def set_up_at(goal: Goal) -> int:
    """When the goal was set up (created, or brought back after a removal), in whole seconds:
    a Remove button carries it, so one from before a removal and a new set removes nothing."""
    return int(goal.created_at.timestamp())


async def remove_goal(
    *,
    database: Database,
    team_id: str,
    goal_id: int,
    set_up: int | None,
    actor: Actor,
    now: datetime,
    channel_id: str | None = None,
) -> Goal:
    """Remove a goal, keeping it and its history: it leaves lists, digests, evaluation and
    escalation; its open episode and remediation close; its unsent escalation messages are
    cancelled. Nothing new is queued."""
    actor = remembering(actor)
    for _attempt in range(ATTEMPTS):
        try:
            async with database.transaction() as session:
                return await _remove(
                    session, team_id, goal_id, set_up, actor, now, channel_id=channel_id
                )
        except _Raced:
            continue
    raise ConflictError(_("Others changed this goal at the same moment; please try again."))


class _Raced(Exception):
    """An episode or remediation changed while it was being closed: read it again."""


async def _remove(
    session: AsyncSession,
    team_id: str,
    goal_id: int,
    set_up: int | None,
    actor: Actor,
    now: datetime,
    *,
    channel_id: str | None,
) -> Goal:
    goal = await goal_store.goal_by_id(session=session, team_id=team_id, goal_id=goal_id)
    if goal is None or goal.id is None or channel_id not in (None, goal.channel_id):
        raise NotFoundError(_("That goal is not in this channel any more; nothing was removed."))
    if goal.status == GoalStatus.REMOVED:
        raise NotFoundError(*removed_message(goal))
    if set_up is not None and set_up != set_up_at(goal):
        raise NotFoundError(
            *phrase(
                _(
                    "This confirmation is out of date: the {key} goal was set again since. "
                    "Nothing was removed."
                ),
                key=Code(goal.metric_key),
            ),
            example=CommandLine("remove", goal.metric_key),
        )
    await require_editor(goal, actor)
    before = snapshot(goal)
    closed = await _close_escalations(session, goal, actor, now)
    if cancelled := await cancel_open(session=session, team_id=team_id, goal_id=goal.id, now=now):
        closed["cancelled_checkins"] = cancelled
    goal.status = GoalStatus.REMOVED.value
    goal.removed_at, goal.removed_by, goal.updated_at = now, actor.user_id, now
    await goal_store.save_goal(session=session, goal=goal)
    await audit_change(session, goal, actor, "goal.remove", before, now, extra=closed)
    return goal


async def _close_escalations(
    session: AsyncSession, goal: Goal, actor: Actor, now: datetime
) -> dict[str, Any]:
    """Close the goal's open episode and remediation and cancel their unsent messages; returns
    what was closed, for the audit log."""
    assert goal.id is not None
    found = await escalation_store.open_escalations(
        session=session, team_id=goal.team_id, goal_ids=[goal.id]
    )
    episode, remediation = found.get(goal.id, (None, None))
    closed: dict[str, Any] = {}
    if episode is not None and episode.id is not None:
        if not await escalation_store.update_episode(
            session=session,
            episode_id=episode.id,
            version=episode.version,
            values={"closed_at": now},
        ):
            raise _Raced
        closed["closed_episode"] = episode.id
    if remediation is not None and remediation.id is not None:
        values = {
            "status": REMOVED_REMEDIATION,
            "closed_at": now,
            "closed_by": actor.user_id,
            "summary": REMOVED_SUMMARY,
        }
        if not await escalation_store.update_remediation(
            session=session,
            remediation_id=remediation.id,
            version=remediation.version,
            values=values,
        ):
            raise _Raced
        closed["closed_remediation"] = remediation.id
    keys = await goal_store.unsent_escalation_keys(session=session, goal_id=goal.id)
    await outbox.cancel_pending(session=session, run_keys=keys, now=now, reason="goal removed")
    if keys:
        closed["cancelled_messages"] = len(keys)
    return closed


def removed_message(goal: Goal) -> tuple[Part, ...]:
    """What a click on a removed goal's message is answered."""
    when = calendar_date(goal.removed_at or goal.updated_at)
    if goal.removed_by:
        return phrase(
            _("This goal was removed from {channel} on {day} by {person}; nothing to do."),
            channel=Channel(goal.channel_id),
            day=when,
            person=Person(goal.removed_by),
        )
    return phrase(
        _("This goal was removed from {channel} on {day}; nothing to do."),
        channel=Channel(goal.channel_id),
        day=when,
    )


async def refuse_if_removed(*, session: AsyncSession, team_id: str, goal_id: int) -> None:
    """Refuse a click on a removed goal's thread or DM, saying when and by whom it went."""
    goal = await goal_store.goal_by_id(session=session, team_id=team_id, goal_id=goal_id)
    if goal is not None and goal.status == GoalStatus.REMOVED:
        raise NotFoundError(*removed_message(goal))
