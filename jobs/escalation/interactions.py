"""What people do to a remediation or an escalation: tick items, hand them over, resolve,
acknowledge, snooze. Each checks who is asking, changes the stored state with a versioned update
(two clicks at once cannot overwrite each other) and queues the redraws and thread notes.

A click that changes nothing (the same tick twice, a second Acknowledge) queues nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.errors import ConflictError, NotFoundError, PermissionDeniedError, Person, Typed, phrase
from jobs.escalation import remediation, rows
from jobs.escalation.episode import acknowledge as acknowledge_episode
from jobs.escalation.episode import snooze as snooze_episode
from jobs.goals.removal import refuse_if_removed
from jobs.goals.service import Actor
from jobs.i18n import _
from storage import escalation as escalation_store
from storage import evaluations as evaluation_store
from storage import outbox
from storage.db import Database
from storage.models import Band, EpisodeRow, OutboxMessage, RemediationRow

SNOOZE = timedelta(hours=24)
ATTEMPTS = 3  # re-reads after losing a race with another click


@dataclass(frozen=True)
class ActionResult:
    """Which goal's messages to send now, and whether anything changed."""

    goal_id: int
    changed: bool


async def set_checked(
    *,
    database: Database,
    team_id: str,
    remediation_id: int,
    item_key: str,
    done: bool,
    actor: Actor,
    now: datetime,
) -> ActionResult:
    """Tick (`done`) or untick one item; every other item keeps its stored state."""

    async def change(row: RemediationRow) -> tuple[remediation.Remediation, bool]:
        plan = rows.remediation_from_row(row)
        item = remediation.item_named(plan, item_key)
        if item.done == done:
            return plan, False
        if not await _may_edit_item(row, item.owner_id, actor):
            raise PermissionDeniedError(
                *phrase(
                    _(
                        "Only the item's owner ({owner}), the goal owner or the lead can "
                        "tick {title}."
                    ),
                    owner=Person(item.owner_id),
                    title=Typed(_(item.title)),  # a default title is N_-marked (remediation.py)
                )
            )
        updated, effects = remediation.toggle_item(
            plan, item_key=item_key, done=done, user_id=actor.user_id, now=now
        )
        return updated, bool(effects)

    return await _edit_remediation(database, team_id, remediation_id, now, change)


async def assign_owner(
    *,
    database: Database,
    team_id: str,
    remediation_id: int,
    item_key: str,
    owner_id: str,
    actor: Actor,
    now: datetime,
) -> ActionResult:
    """Give a checklist item a new owner."""

    async def change(row: RemediationRow) -> tuple[remediation.Remediation, bool]:
        plan = rows.remediation_from_row(row)
        item = remediation.item_named(plan, item_key)
        if not await _may_edit_item(row, item.owner_id, actor):
            raise PermissionDeniedError(
                _("Only the item's owner, the goal owner or the lead can hand this item over.")
            )
        updated, effects = remediation.assign_item(
            plan, item_key=item_key, owner_id=owner_id, user_id=actor.user_id, now=now
        )
        return updated, bool(effects)

    return await _edit_remediation(database, team_id, remediation_id, now, change)


async def resolve(
    *, database: Database, team_id: str, remediation_id: int, actor: Actor, now: datetime
) -> ActionResult:
    """Close the remediation early (goal owner, lead or admin) and post a summary."""
    for _attempt in range(ATTEMPTS):
        async with database.transaction() as session:
            row = await _remediation(session, team_id, remediation_id)
            plan = rows.remediation_from_row(row)
            is_admin = (
                False if actor.user_id in (row.owner_id, row.lead_id) else await actor.is_admin()
            )
            band = await _latest_band(session, row.goal_id)
            closed, effects = remediation.resolve(
                plan,
                user_id=actor.user_id,
                is_admin=is_admin,
                now=now,
                metric_adverse=band in (Band.ORANGE, Band.RED),
            )
            if not effects:
                return ActionResult(row.goal_id, changed=False)
            summary = next(e.summary for e in effects if isinstance(e, remediation.PostCloseOut))
            values = {
                "status": closed.status,
                "closed_at": now,
                "closed_by": actor.user_id,
                "summary": summary[:500],
            }
            if not await escalation_store.update_remediation(
                session=session, remediation_id=remediation_id, version=row.version, values=values
            ):
                continue
            await outbox.cancel_pending(
                session=session,
                run_keys=rows.pending_timer_keys(remediation_id),
                now=now,
                reason="resolved early",
            )
            await outbox.enqueue(
                session=session,
                messages=[
                    rows.note(
                        team_id=team_id,
                        goal_id=row.goal_id,
                        remediation_id=remediation_id,
                        run_key=f"close_out:{remediation_id}:early",
                        payload={"note": "closed_early", "summary": summary},
                        now=now,
                    ),
                    *_redraws(row, version=row.version + 1, now=now, parent=True),
                ],
            )
            return ActionResult(row.goal_id, changed=True)
    raise _busy()


async def acknowledge(
    *, database: Database, team_id: str, episode_id: int, actor: Actor, now: datetime
) -> ActionResult:
    """Stop the repeats (not the deadlines) and say so in the thread."""

    async def change(row: EpisodeRow) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        episode = rows.episode_from_row(row)
        updated, effects = acknowledge_episode(episode, user_id=actor.user_id, now=now)
        if not effects:
            return {}, []
        values = {"acknowledged_by": updated.acknowledged_by, "acknowledged_at": now}
        return values, [{"note": "acknowledged", "user_id": actor.user_id}]

    return await _edit_episode(database, team_id, episode_id, actor, now, change)


async def snooze(
    *, database: Database, team_id: str, episode_id: int, actor: Actor, now: datetime
) -> ActionResult:
    """Mute the repeat pings for 24 hours."""
    until = (now + SNOOZE).replace(second=0, microsecond=0)

    async def change(row: EpisodeRow) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if row.closed_at is not None:
            return {}, []
        if row.snoozed_until is not None and abs(row.snoozed_until - until) < timedelta(hours=1):
            return {}, []  # a second click on the same button
        snooze_episode(rows.episode_from_row(row), until=until, now=now)
        note = {"note": "snoozed", "user_id": actor.user_id, "until": until.isoformat()}
        return {"snoozed_until": until}, [note]

    return await _edit_episode(database, team_id, episode_id, actor, now, change)


# -- shared plumbing ------------------------------------------------------------------------


async def _edit_remediation(
    database: Database,
    team_id: str,
    remediation_id: int,
    now: datetime,
    change: Callable[[RemediationRow], Awaitable[tuple[remediation.Remediation, bool]]],
) -> ActionResult:
    for _attempt in range(ATTEMPTS):
        async with database.transaction() as session:
            row = await _remediation(session, team_id, remediation_id)
            if row.status != "open":
                raise PermissionDeniedError(
                    _("This remediation is already closed (resolved); nothing was changed.")
                    if row.status == "resolved"
                    else _("This remediation is already closed (overdue); nothing was changed.")
                )
            updated, changed = await change(row)
            if not changed:
                return ActionResult(row.goal_id, changed=False)
            values = {"items": rows.items_to_json(updated.items)}
            if not await escalation_store.update_remediation(
                session=session, remediation_id=remediation_id, version=row.version, values=values
            ):
                continue
            await outbox.enqueue(
                session=session, messages=_redraws(row, version=row.version + 1, now=now)
            )
            return ActionResult(row.goal_id, changed=True)
    raise _busy()


async def _edit_episode(
    database: Database,
    team_id: str,
    episode_id: int,
    actor: Actor,
    now: datetime,
    change: Callable[[EpisodeRow], Awaitable[tuple[dict[str, Any], list[dict[str, Any]]]]],
) -> ActionResult:
    for _attempt in range(ATTEMPTS):
        async with database.transaction() as session:
            row = await escalation_store.get_episode(
                session=session, team_id=team_id, episode_id=episode_id
            )
            if row is None:
                raise NotFoundError(_("That escalation no longer exists."))
            await refuse_if_removed(session=session, team_id=team_id, goal_id=row.goal_id)
            dms = await escalation_store.episode_dms(session=session, episode_id=episode_id)
            recipients = {dm.recipient_id for dm in dms}
            if actor.user_id not in recipients and not await actor.is_admin():
                raise PermissionDeniedError(
                    _("Only the people this escalation was sent to (or an admin) can answer it.")
                )
            values, notes = await change(row)
            if not values:
                return ActionResult(row.goal_id, changed=False)
            if not await escalation_store.update_episode(
                session=session, episode_id=episode_id, version=row.version, values=values
            ):
                continue
            messages = [
                rows.note(
                    team_id=team_id,
                    goal_id=row.goal_id,
                    remediation_id=row.remediation_id,
                    episode_id=episode_id,
                    run_key=f"note:{episode_id}:{payload['note']}:{row.version + 1}",
                    payload=payload,
                    now=now,
                )
                for payload in notes
            ]
            # Everyone's latest DM shows the new state (acknowledged, snoozed).
            sent = sorted((dm for dm in dms if dm.result.get("ts")), key=lambda dm: dm.id or 0)
            latest = {dm.recipient_id: dm for dm in sent}
            messages += [
                _dm_update(row, dm, key=f"v{row.version + 1}", now=now) for dm in latest.values()
            ]
            await outbox.enqueue(session=session, messages=messages)
            return ActionResult(row.goal_id, changed=True)
    raise _busy()


async def _remediation(session: AsyncSession, team_id: str, remediation_id: int) -> RemediationRow:
    row = await escalation_store.get_remediation(
        session=session, team_id=team_id, remediation_id=remediation_id
    )
    if row is None:
        raise NotFoundError(_("That remediation no longer exists."))
    await refuse_if_removed(session=session, team_id=team_id, goal_id=row.goal_id)
    return row


async def _may_edit_item(row: RemediationRow, item_owner: str, actor: Actor) -> bool:
    if actor.user_id in (item_owner, row.owner_id, row.lead_id):
        return True
    return await actor.is_admin()


async def _latest_band(session: AsyncSession, goal_id: int) -> str | None:
    latest = await evaluation_store.latest_evaluations(session=session, goal_ids=[goal_id])
    return latest[goal_id].band if goal_id in latest else None


def _redraws(
    row: RemediationRow, *, version: int, now: datetime, parent: bool = False
) -> list[OutboxMessage]:
    assert row.id is not None
    whats = ("checklist_update", "parent_update") if parent else ("checklist_update",)
    return [
        rows.redraw(
            team_id=row.team_id,
            goal_id=row.goal_id,
            remediation_id=row.id,
            what=what,
            key=f"v{version}",
            now=now,
        )
        for what in whats
    ]


def _busy() -> ConflictError:
    return ConflictError(_("Several people changed this at the same moment; please try again."))


async def redraw_checklist(
    *, database: Database, team_id: str, remediation_id: int, click_id: str, now: datetime
) -> int | None:
    """Queue a redraw of the checklist from the stored state (e.g. after a refused tick, whose
    checkbox Slack already shows ticked); returns the goal id, None if it is gone."""
    async with database.transaction() as session:
        row = await escalation_store.get_remediation(
            session=session, team_id=team_id, remediation_id=remediation_id
        )
        if row is None or row.id is None:
            return None
        message = rows.redraw(
            team_id=team_id,
            goal_id=row.goal_id,
            remediation_id=row.id,
            what="checklist_update",
            key=f"click:{click_id}",
            now=now,
        )
        await outbox.enqueue(session=session, messages=[message])
        return row.goal_id


async def redraw_dm(
    *,
    database: Database,
    team_id: str,
    episode_id: int,
    channel_id: str,
    ts: str,
    click_id: str,
    now: datetime,
) -> int | None:
    """Queue a redraw of the DM that was clicked, so its buttons match the episode."""
    async with database.transaction() as session:
        row = await escalation_store.get_episode(
            session=session, team_id=team_id, episode_id=episode_id
        )
        if row is None:
            return None
        sent = await escalation_store.episode_dms(session=session, episode_id=episode_id)
        original = next(
            (
                dm
                for dm in sent
                if (dm.result.get("channel"), dm.result.get("ts")) == (channel_id, ts)
            ),
            None,
        )
        if original is None:
            return None  # not a DM we sent for this episode: nothing to redraw
        message = _dm_update(row, original, key=f"click:{click_id}", now=now)
        await outbox.enqueue(session=session, messages=[message])
        return row.goal_id


def _dm_update(row: EpisodeRow, dm: OutboxMessage, *, key: str, now: datetime) -> OutboxMessage:
    """Redraw one sent DM from the episode's state."""
    return OutboxMessage(
        run_key=f"dm_update:{dm.id}:{key}",
        team_id=row.team_id,
        goal_id=row.goal_id,
        kind="dm_update",
        episode_id=row.id,
        remediation_id=row.remediation_id,
        recipient_id=dm.recipient_id,
        payload={"channel": dm.result["channel"], "ts": dm.result["ts"], "dm": dm.payload},
        due_at=now,
        created_at=now,
        result={},
    )
