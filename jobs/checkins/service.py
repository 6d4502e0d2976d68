"""Scheduled check-ins: asking each goal's owner on the goal's cadence, in the owner's own
timezone; setting the cadence; recording the answer.

Asking stores the check-in and queues its prompt, reminder and close in one transaction; the
check-in is unique per (goal, owner, slot), so however many processes tick, only the one whose
insert won queues anything (storage/checkins.py). Sending is the outbox's
(jobs/outbox/checkin_dms.py). Every check-in ends: answered, missed, undeliverable or cancelled
(jobs/checkins/prompt.py).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.checkins.cadence import Cadence, QuietHours, ask_at, latest_slot
from jobs.checkins.prompt import Prompt, PromptTiming, on_answer
from jobs.checkins.rows import SET_AT, answered_row, asked_rows, stored_cadence
from jobs.checkins.transitions import cancel_open
from jobs.context import EngineContext
from jobs.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    Person,
    UsageError,
    phrase,
)
from jobs.evaluation.policy import CONFIDENCES
from jobs.goals.checkins import record_checkin
from jobs.goals.service import Actor, audit_change, remembering, require_editor, snapshot
from jobs.i18n import _
from jobs.metrics.catalog import MetricCatalog
from storage import checkins as checkin_store
from storage import goals as goal_store
from storage import outbox
from storage.db import Database
from storage.models import Checkin, CheckinState, Goal

__all__ = [
    "Answer",
    "OwnerZones",
    "ask_due",
    "cancel_open",
    "record_answer",
    "set_cadence",
]

log = logging.getLogger("goalpulse.checkins")

# Re-reads of a check-in whose version moved while an answer was being stored.
ATTEMPTS = 3
# The most a note ("what moved it", "blockers") may hold, as the table stores it.
NOTE_CHARS = 1000
# A metric point's note holds at most this much of "what moved it".
POINT_NOTE_CHARS = 500
# How long an owner's timezone, as the chat platform gave it, is trusted before asking again.
ZONE_TTL = timedelta(hours=1)
# When an unanswered prompt is reminded and closed, and the owner's hours it never goes out in.
DEFAULT_TIMING = PromptTiming()
DEFAULT_QUIET = QuietHours()
_NOT_ANSWERABLE = (CheckinState.CANCELLED.value, CheckinState.UNDELIVERABLE.value)


@dataclass
class OwnerZones:
    """Owners' timezones as the chat platform last gave them, each kept for `ttl`: the tick runs
    every minute and must not ask the platform about every owner every minute."""

    ttl: timedelta = ZONE_TTL
    _known: dict[str, tuple[str | None, datetime]] = field(default_factory=dict)

    async def zone(
        self, context: EngineContext, user_id: str, now: datetime, *, team_id: str = ""
    ) -> str:
        """The owner's timezone; the deployment's when the platform knows none. A failed
        lookup keeps the last one known (else the deployment's) and is tried again next tick."""
        known = self._known.get(user_id)
        if known is not None and timedelta(0) <= now - known[1] < self.ttl:
            return known[0] or context.timezone
        try:
            tz = await context.messenger_for(team_id).user_timezone(user_id)
        except Exception as exc:  # the platform is down: the tick goes on
            log.warning("no timezone for %s (%s); using the last known", user_id, exc)
            return (known[0] if known else None) or context.timezone
        self._known[user_id] = (tz, now)
        return tz or context.timezone


async def ask_due(
    context: EngineContext,
    *,
    timing: PromptTiming = DEFAULT_TIMING,
    quiet: QuietHours = DEFAULT_QUIET,
    zones: OwnerZones | None = None,
) -> int:
    """Ask every owner whose goal's cadence has a slot not yet asked about (the newest one only:
    a bot down for a week asks once); returns how many were asked. All workspaces."""
    now = context.clock()
    zones = zones if zones is not None else OwnerZones()
    async with context.database.transaction() as session:
        scheduled = [
            (goal, found)
            for goal in await goal_store.goals_with_checkins(session=session)
            if goal.owner_id and (found := stored_cadence(goal.checkin_cadence)) is not None
        ]
        last = await _last_slots(session, [goal for goal, _ in scheduled])
    asked = 0
    for goal, (cadence, stored_set_at) in scheduled:
        assert goal.id is not None
        assert goal.owner_id is not None
        set_at = stored_set_at or goal.updated_at  # a cadence stored without its setting time
        tz = await zones.zone(context, goal.owner_id, now, team_id=goal.team_id)
        # Never a slot from before the cadence was set, nor one already asked about.
        not_before = max(last.get((goal.id, goal.owner_id), set_at), set_at)
        slot = latest_slot(cadence, tz, now, not_before=not_before)
        if slot is None:
            continue
        try:
            asked += await _ask(context, goal, cadence, slot, tz, quiet, timing, now)
        except Exception:  # one goal's failure must not stop the others; the next tick retries
            log.exception("asking the owner of goal %s to check in failed", goal.id)
    return asked


async def _last_slots(session: AsyncSession, goals: list[Goal]) -> dict[tuple[int, str], datetime]:
    """The newest slot asked per (goal, person), read per workspace."""
    by_team: defaultdict[str, list[int]] = defaultdict(list)
    for goal in goals:
        by_team[goal.team_id].append(goal.id or 0)
    found: dict[tuple[int, str], datetime] = {}
    for team_id, goal_ids in by_team.items():
        found |= await checkin_store.last_slots(session=session, team_id=team_id, goal_ids=goal_ids)
    return found


async def _ask(
    context: EngineContext,
    goal: Goal,
    cadence: Cadence,
    slot: datetime,
    tz: str,
    quiet: QuietHours,
    timing: PromptTiming,
    now: datetime,
) -> int:
    """Store the check-in and queue its messages, in one transaction; 1 if this call asked,
    0 if another process had already asked for the slot."""
    assert goal.id is not None
    assert goal.owner_id is not None
    # A slot found late (the bot was down) is asked now: its reminder and close count from then.
    prompt = Prompt("asked", ask_at(max(slot, now), tz, quiet))
    values = {
        "goal_id": goal.id,
        "team_id": goal.team_id,
        "channel_id": goal.channel_id,
        "user_id": goal.owner_id,
        "day": slot.astimezone(ZoneInfo(context.timezone)).date(),
        "slot_at": slot,
        "asked_at": prompt.asked_at,
        "state": prompt.state,
    }
    async with context.database.transaction() as session:
        checkin_id = await checkin_store.insert_asked(session=session, values=values)
        if checkin_id is None:
            return 0
        rows = asked_rows(
            checkin_id=checkin_id,
            team_id=goal.team_id,
            goal_id=goal.id,
            owner_id=goal.owner_id,
            prompt=prompt,
            timing=timing,
            quiet=quiet,
            now=now,
        )
        await outbox.enqueue(session=session, messages=rows)
    log.info(
        "asked %s to check in on goal %s (%s, %s)", goal.owner_id, goal.id, cadence.describe(), tz
    )
    return 1


async def set_cadence(
    *, session: AsyncSession, goal: Goal, cadence: Cadence | None, actor: Actor, now: datetime
) -> Goal:
    """Set when the goal's owner is asked to check in (None: never, which cancels the open
    check-ins); who may is who may change the goal's thresholds. Returns the goal."""
    await require_editor(goal, remembering(actor))
    before = snapshot(goal)
    # `set_at`: no slot before this moment is asked about, under this cadence or an older one.
    goal.checkin_cadence = (
        None if cadence is None else cadence.to_dict() | {SET_AT: now.isoformat()}
    )
    goal.updated_at = now
    await goal_store.save_goal(session=session, goal=goal)
    extra = {}
    if cadence is None and goal.id is not None:
        cancelled = await cancel_open(
            session=session, team_id=goal.team_id, goal_id=goal.id, now=now
        )
        extra = {"cancelled_checkins": cancelled} if cancelled else {}
    await audit_change(session, goal, actor, "goal.checkins", before, now, extra=extra)
    return goal


@dataclass(frozen=True)
class Answer:
    """What the asked person said: a value (or None), a confidence, and two optional notes."""

    value: float | None
    confidence: str
    moved: str | None
    blockers: str | None

    def __post_init__(self) -> None:
        # The form should not let these through; refused here before anything is stored.
        if self.confidence not in CONFIDENCES:
            raise UsageError(_("Pick how confident you are: on track, at risk or off track."))
        if self.value is not None and not math.isfinite(self.value):
            raise UsageError(_("The value must be a number."))
        too_long = (
            (self.moved, _("What moved it holds at most {n} characters.")),
            (self.blockers, _("Blockers holds at most {n} characters.")),
        )
        for note, refusal in too_long:
            if note is not None and len(note) > NOTE_CHARS:
                raise UsageError(refusal.format(n=NOTE_CHARS))


async def record_answer(
    *,
    database: Database,
    team_id: str,
    checkin_id: int,
    user_id: str,
    value: float | None,
    confidence: str,
    moved: str | None,
    blockers: str | None,
    now: datetime,
    catalog: MetricCatalog | None = None,
) -> Checkin:
    """Store the asked person's answer and return the stored check-in.

    A late answer (after the check-in was recorded missed) is kept and marked late; a second
    answer replaces the first. A value is also recorded as the metric's point for the check-in's
    day, for a manual metric (with a `catalog` to tell; without one, any value given). The
    prompt DM is redrawn to say it was answered. Retried from fresh state when the check-in
    changed meanwhile (its reminder or close going out).
    """
    answer = Answer(value=value, confidence=confidence, moved=moved, blockers=blockers)
    for _attempt in range(ATTEMPTS):
        async with database.transaction() as session:
            stored = await _answer_once(
                session, team_id, checkin_id, user_id, answer, catalog=catalog, now=now
            )
            if stored is not None:
                return stored
    raise ConflictError(_("This check-in changed at the same moment; please submit it again."))


async def _answer_once(
    session: AsyncSession,
    team_id: str,
    checkin_id: int,
    user_id: str,
    answer: Answer,
    *,
    catalog: MetricCatalog | None,
    now: datetime,
) -> Checkin | None:
    """Apply the answer to the check-in as read; None when it changed before the update."""
    row = await _answerable(session, team_id, checkin_id, user_id)
    step = on_answer(Prompt(row.state, row.asked_at or now), now)  # type: ignore[arg-type]
    changes = {
        "state": step.state,
        "value": answer.value,
        "confidence": answer.confidence,
        "moved": answer.moved,
        "blockers": answer.blockers,
        "answered_at": now,
        "late": row.late or step.late,
    }
    if not await checkin_store.update_checkin(
        session=session, checkin_id=checkin_id, version=row.version, values=changes
    ):
        return None
    if answer.value is not None:
        await _record_point(session, row, answer, catalog, now)
    await outbox.enqueue(
        session=session, messages=[answered_row(row, version=row.version + 1, now=now)]
    )
    return await checkin_store.get_checkin(session=session, team_id=team_id, checkin_id=checkin_id)


async def _answerable(
    session: AsyncSession, team_id: str, checkin_id: int, user_id: str
) -> Checkin:
    """The check-in, if this person may answer it now; else the error saying why not."""
    row = await checkin_store.get_checkin(session=session, team_id=team_id, checkin_id=checkin_id)
    if row is None:
        raise NotFoundError(_("That check-in is not one goalpulse knows; nothing was recorded."))
    if row.user_id != user_id:
        raise PermissionDeniedError(
            *phrase(
                _("Only {person} was asked for this check-in, so only they can answer it."),
                person=Person(row.user_id),
            )
        )
    if row.state == CheckinState.CANCELLED.value:
        raise NotFoundError(
            _(
                "This check-in was cancelled (the goal was paused, removed or its check-ins "
                "turned off); nothing was recorded."
            )
        )
    if row.state in _NOT_ANSWERABLE:
        raise NotFoundError(_("This check-in could not be delivered; nothing was recorded."))
    return row


async def _record_point(
    session: AsyncSession,
    row: Checkin,
    answer: Answer,
    catalog: MetricCatalog | None,
    now: datetime,
) -> None:
    """The answer's value as the metric's point for the check-in's day (manual metrics only)."""
    goal = await goal_store.goal_by_id(session=session, team_id=row.team_id, goal_id=row.goal_id)
    if goal is None or answer.value is None:
        return
    if catalog is not None:
        metric = catalog.get(goal.metric_key)
        if metric is None or metric.source is None or metric.source.kind != "manual":
            return  # a pulled metric's value comes from its source
    await record_checkin(
        session=session,
        team_id=row.team_id,
        channel_id=row.channel_id,
        actor=Actor(user_id=row.user_id, is_admin=_not_asked),
        metric_key=goal.metric_key,
        value=answer.value,
        note=answer.moved[:POINT_NOTE_CHARS] if answer.moved else None,
        day=row.day,
        now=now,
    )


async def _not_asked() -> bool:
    """Recording an answer's value needs no admin rights: the answerer is never asked."""
    return False
