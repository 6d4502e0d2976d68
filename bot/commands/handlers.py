"""Run a parsed `/goal` command: call the service, render the reply. No Slack I/O here, but for
the digest `/goal digest` posts and the DMs handed to `tell` (a replaced channel lead's)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict, get_args
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.manual_digest import claim_manual_digest
from bot.commands.parse import (
    CheckIn,
    Command,
    Configure,
    ListGoals,
    OpenGoalModal,
    PauseGoal,
    PostDigest,
    RemoveGoal,
    ResumeGoal,
    SetCheckins,
    SetGoal,
    SetThresholds,
    ShowGoal,
    ShowHelp,
)
from bot.commands.parse_guard import GuardGoal, UnguardGoal
from bot.render import blocks as render
from bot.render.checkins import cadence_saved_text
from bot.render.digest import digest_blocks
from bot.render.figures import sparkline
from bot.render.goal_detail import goal_detail_blocks
from bot.render.guardrails import guard_saved_text, unguard_text
from bot.render.reality import reality_blocks
from bot.render.replies import (
    checkin_text,
    config_blocks,
    config_saved_text,
    status_text,
    thresholds_text,
)
from bot.services import Services
from jobs import deferred
from jobs.checkins import service as checkin_service
from jobs.digest.build import goal_escalation
from jobs.digest.week import week_of_points
from jobs.errors import CommandLine, NotFoundError
from jobs.goals import channel_settings as config_service
from jobs.goals import guardrails as guard_service
from jobs.goals import removal as goal_removal
from jobs.goals import service as goal_service
from jobs.goals.channel_settings import ConfigChange
from jobs.goals.checkins import record_checkin
from jobs.goals.service import Actor
from jobs.i18n import _, current_locale, use_locale
from storage import checkins as checkin_store
from storage import claims
from storage import evaluations as evaluation_store
from storage import goals as goal_store
from storage import points as point_store
from storage.models import GoalStatus

# Sends a DM: (user id, text).
Tell = Callable[[str, str], Awaitable[None]]


@dataclass(frozen=True)
class Where:
    """The workspace and channel a command was typed in."""

    team_id: str
    channel_id: str


class _Scope(TypedDict):
    """The keyword arguments that scope a query to one transaction and the command's channel."""

    session: AsyncSession
    team_id: str
    channel_id: str


@dataclass(frozen=True)
class _Call:
    """One command's call: the services, where and by whom it was typed, `tell`, and when."""

    services: Services
    where: Where
    actor: Actor
    tell: Tell | None
    now: datetime

    @contextlib.asynccontextmanager
    async def scope(self) -> AsyncIterator[_Scope]:
        """A transaction, as the `_Scope` of this call's channel."""
        async with self.services.database.transaction() as session:
            yield _Scope(
                session=session, team_id=self.where.team_id, channel_id=self.where.channel_id
            )


async def execute(
    command: Command,
    *,
    services: Services,
    where: Where,
    actor: Actor,
    tell: Tell | None = None,
) -> list[Block]:
    """Carry out one command and return the reply; changes happen in one transaction. `tell`
    sends the DMs a change calls for (none without it)."""
    call = _Call(services=services, where=where, actor=actor, tell=tell, now=services.clock())
    return await _handle(command, call)


@functools.singledispatch
async def _handle(command: Command, call: _Call) -> list[Block]:
    """The handler registered below for the command's type."""
    raise AssertionError(f"no handler for {command!r}")


@_handle.register
async def _set_goal(command: SetGoal, call: _Call) -> list[Block]:
    """Save the goal; the reply ends with the reality check (a warning, never a refusal): the
    pace the target needs against the metric's best 4 weeks on record."""
    catalog = call.services.catalog
    async with call.scope() as scope:
        goal, created = await goal_service.set_goal(
            **scope, catalog=catalog, actor=call.actor, change=command.change, now=call.now
        )
        metric = goal_service.require_metric(catalog, goal.metric_key)
        history = await point_store.points_since(
            session=scope["session"],
            team_id=goal.team_id,
            metric_keys=[goal.metric_key],
            since=date.min,
        )
        today = call.services.today()
        await deferred.preload()  # the reality check needs pandas: imported off the event loop
        check = deferred.reality_check(
            {point.day: point.value for point in history},
            target=goal.target,
            due=goal.due_date,
            today=today,
            direction=goal.direction,
        )
        saved = render.goal_saved_blocks(goal, metric, created=created)
        return [*saved, *reality_blocks(check, goal, metric, today=today)]


@_handle.register
async def _list_goals(command: ListGoals, call: _Call) -> list[Block]:
    async with call.scope() as scope:
        goals = await goal_store.list_goals(**scope)
        latest = await evaluation_store.latest_evaluations(
            session=scope["session"], goal_ids=[g.id for g in goals if g.id is not None]
        )
        return render.goal_list_blocks(goals, call.services.catalog, latest)


@_handle.register
async def _show_goal(command: ShowGoal, call: _Call) -> list[Block]:
    key, team_id = command.metric_key, call.where.team_id
    async with call.scope() as scope:
        session = scope["session"]
        goal = await goal_service.find_goal(**scope, metric_key=key)
        history = await evaluation_store.recent_evaluations(
            session=session, goal_id=goal.id or -1, limit=14
        )
        weeks = await week_of_points(
            session=session, team_id=team_id, metric_keys=[key], day=call.services.today()
        )
        escalation = await goal_escalation(
            session=session, team_id=team_id, goal_id=goal.id or -1, now=call.now
        )
        checkins = await checkin_store.recent_checkins(
            session=session, team_id=team_id, goal_id=goal.id or -1
        )
        return goal_detail_blocks(
            goal,
            call.services.catalog.get(key),
            history,
            sparkline(weeks[key]),
            escalation,
            checkins=checkins,
        )


@_handle.register
async def _set_thresholds(command: SetThresholds, call: _Call) -> list[Block]:
    key = command.metric_key
    async with call.scope() as scope:
        goal = await goal_service.set_thresholds(
            **scope, actor=call.actor, metric_key=key, thresholds=command.thresholds, now=call.now
        )
        return render.notice_blocks(thresholds_text(goal))


@_handle.register
async def _pause_or_resume(command: PauseGoal | ResumeGoal, call: _Call) -> list[Block]:
    key = command.metric_key
    status = GoalStatus.PAUSED if isinstance(command, PauseGoal) else GoalStatus.ACTIVE
    async with call.scope() as scope:
        _goal, changed = await goal_service.set_status(
            **scope, actor=call.actor, metric_key=key, status=status, now=call.now
        )
        return render.notice_blocks(status_text(key, status, changed=changed))


@_handle.register
async def _remove_goal(command: RemoveGoal, call: _Call) -> list[Block]:
    """Only a question: the Remove button (bot/actions/remove_goal.py) removes the goal."""
    key = command.metric_key
    async with call.scope() as scope:
        goal = await goal_removal.removable_goal(**scope, actor=call.actor, metric_key=key)
        value = f"{goal.id}:{goal_removal.set_up_at(goal)}"
        return render.remove_question_blocks(goal, call.services.catalog.get(key), value)


@_handle.register
async def _configure(command: Configure, call: _Call) -> list[Block]:
    """`config` alone shows the settings; with settings, it changes them."""
    if not command.change.is_empty:
        return await _change_config(command.change, call)
    async with call.scope() as scope:
        effective = await config_service.effective_config(
            **scope, default_timezone=call.services.timezone
        )
        return config_blocks(effective)


@_handle.register
async def _check_in(command: CheckIn, call: _Call) -> list[Block]:
    """Record the value, then evaluate and escalate at once: a check-in can raise an alert."""
    services, where, day = call.services, call.where, call.services.today()
    async with call.scope() as scope:
        await record_checkin(
            **scope,
            actor=call.actor,
            metric_key=command.metric_key,
            value=command.value,
            note=command.note,
            day=day,
            now=services.clock(),
        )
    rows = await services.engine.evaluate_goals(
        team_id=where.team_id, metric_keys=[command.metric_key]
    )
    metric = goal_service.require_metric(services.catalog, command.metric_key)
    channel_goals = await _channel_goal_ids(call)
    here = [row for row in rows if row["goal_id"] in channel_goals]
    band = here[0]["band"] if here else None
    return render.notice_blocks(checkin_text(metric, command.value, day, band=band))


async def _channel_goal_ids(call: _Call) -> set[int]:
    async with call.scope() as scope:
        goals = await goal_store.list_goals(**scope)
    return {goal.id for goal in goals if goal.id is not None}


async def _change_config(change: ConfigChange, call: _Call) -> list[Block]:
    """Apply settings; a channel lead replaced by someone else is told, once it is stored."""
    actor, services = call.actor, call.services
    async with call.scope() as scope:
        outcome = await config_service.configure(
            **scope, actor=actor, change=change, now=services.clock()
        )
        effective = await config_service.effective_config(
            **scope, default_timezone=services.timezone
        )
    replaced, lead, tell = outcome.replaced_lead, outcome.new_lead, call.tell
    if tell is not None and replaced is not None and lead is not None and replaced != actor.user_id:
        text = render.lead_replaced_text(
            actor_id=actor.user_id, lead_id=lead, channel_id=call.where.channel_id
        )
        await tell(replaced, text)
    # A language change is answered in the language the channel reads now.
    speaks = effective.language if change.language is not None else current_locale()
    with use_locale(speaks):
        return [*render.notice_blocks(config_saved_text(change)), *config_blocks(effective)]


@_handle.register
async def _post_digest(command: PostDigest, call: _Call) -> list[Block]:
    services, where, engine = call.services, call.where, call.services.engine
    async with call.scope() as scope:
        config = await config_service.effective_config(**scope, default_timezone=services.timezone)
    run_key = None
    if not command.preview:
        run_key = await claim_manual_digest(
            services,
            engine,
            team_id=where.team_id,
            channel_id=where.channel_id,
            timezone=config.timezone,
        )
    try:
        local_date = services.clock().astimezone(ZoneInfo(config.timezone)).date()
        digest = await engine.digest_for(
            where.team_id, where.channel_id, local_date=local_date, timezone=config.timezone
        )
        if digest is None:
            raise NotFoundError(
                _("This channel has no active goals, so there is no digest to show."),
                example=CommandLine("set", "dau", "150k"),
            )
        if run_key is None:
            return digest_blocks(digest)
        ts = await engine.messenger_for(where.team_id).publish_digest(digest)
    except Exception as exc:
        if run_key is not None:  # not posted: the next request may try at once
            async with services.database.transaction() as session:
                await claims.release(
                    session=session,
                    run_key=run_key,
                    worker=engine.worker,
                    retry_at=services.clock(),
                    error=f"{type(exc).__name__}: {exc}",
                )
        raise
    async with services.database.transaction() as session:
        await claims.complete(
            session=session,
            run_key=run_key,
            worker=engine.worker,
            now=services.clock(),
            result={"ts": ts, "channel": where.channel_id, "by": call.actor.user_id},
        )
    engine.messenger_for(where.team_id).attach_chart(digest, ts)
    return render.notice_blocks(_(":mailbox_with_mail: Posted this channel's digest."))


@_handle.register
async def _guard(command: GuardGoal, call: _Call) -> list[Block]:
    catalog = call.services.catalog
    async with call.scope() as scope:
        done = await guard_service.set_guard(
            **scope,
            catalog=catalog,
            actor=call.actor,
            metric_key=command.metric_key,
            guard_metric=command.guard_metric,
            threshold=command.threshold,
            now=call.now,
        )
    goal = catalog.get(command.metric_key)
    text = guard_saved_text(
        goal=goal.title if goal is not None else command.metric_key,
        guard=done.guard,
        metric=catalog.get(command.guard_metric),
        replaced=done.replaced,
        metric_key=command.metric_key,
    )
    return render.notice_blocks(text)


@_handle.register
async def _unguard(command: UnguardGoal, call: _Call) -> list[Block]:
    async with call.scope() as scope:
        await guard_service.remove_guard(
            **scope,
            actor=call.actor,
            metric_key=command.metric_key,
            guard_metric=command.guard_metric,
            now=call.now,
        )
    text = unguard_text(metric_key=command.metric_key, guard_metric=command.guard_metric)
    return render.notice_blocks(text)


@_handle.register
async def _set_checkins(command: SetCheckins, call: _Call) -> list[Block]:
    """Store how often the goal's owner is asked; `off` also cancels open check-ins."""
    async with call.scope() as scope:
        goal = await goal_service.find_goal(**scope, metric_key=command.metric_key)
        await checkin_service.set_cadence(
            session=scope["session"],
            goal=goal,
            cadence=command.cadence,
            actor=call.actor,
            now=call.now,
        )
    metric = call.services.catalog.get(command.metric_key)
    title = metric.title if metric is not None else command.metric_key
    text = cadence_saved_text(title, command.cadence, owned=bool(goal.owner_id))
    return render.notice_blocks(text)


# Every command has its handler but help and the goal form, answered before `execute`.
_UNHANDLED = set(get_args(Command)) - set(_handle.registry) - {ShowHelp, OpenGoalModal}
assert not _UNHANDLED, f"no handler for {sorted(kind.__name__ for kind in _UNHANDLED)}"
