"""Run a parsed `/goal` command: call the service, render the reply. No Slack I/O here, but for
the digest `/goal digest` posts and the DMs handed to `tell` (a replaced channel lead's)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict, get_args
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block
from sqlmodel.ext.asyncio.session import AsyncSession

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
    SetGoal,
    SetThresholds,
    ShowGoal,
    ShowHelp,
)
from bot.constants import SLASH_COMMAND
from bot.render import blocks as render
from bot.render.digest import band_emoji, digest_blocks
from bot.render.figures import sparkline
from bot.render.goal_detail import goal_detail_blocks
from bot.render.text import escape_mrkdwn
from bot.services import Services
from jobs.digest.build import goal_escalation
from jobs.digest.week import week_of_points
from jobs.engine import Engine
from jobs.errors import CommandLine, GoalpulseError, NotFoundError
from jobs.goals import channel_settings as config_service
from jobs.goals import removal as goal_removal
from jobs.goals import service as goal_service
from jobs.goals.channel_settings import ConfigChange
from jobs.goals.checkins import record_checkin
from jobs.goals.service import Actor
from jobs.metrics.quantities import format_metric_value
from storage import claims
from storage import evaluations as evaluation_store
from storage import goals as goal_store
from storage.models import GoalStatus, RunClaim

# `/goal digest` posts a channel's digest at most once in this many minutes (preview: any time).
MANUAL_DIGEST_MINUTES = 60
MANUAL_DIGEST_KIND = "digest_now"

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
    catalog = call.services.catalog
    async with call.scope() as scope:
        goal, created = await goal_service.set_goal(
            **scope, catalog=catalog, actor=call.actor, change=command.change, now=call.now
        )
        metric = goal_service.require_metric(catalog, goal.metric_key)
        return render.goal_saved_blocks(goal, metric, created=created)


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
        return goal_detail_blocks(
            goal, call.services.catalog.get(key), history, sparkline(weeks[key]), escalation
        )


@_handle.register
async def _set_thresholds(command: SetThresholds, call: _Call) -> list[Block]:
    key = command.metric_key
    async with call.scope() as scope:
        goal = await goal_service.set_thresholds(
            **scope, actor=call.actor, metric_key=key, thresholds=command.thresholds, now=call.now
        )
        return render.notice_blocks(
            f":straight_ruler: `{key}` now alerts at {render.percent(goal.yellow)} "
            f"(yellow), {render.percent(goal.orange)} (orange) and "
            f"{render.percent(goal.red)} (red) off target."
        )


@_handle.register
async def _pause_or_resume(command: PauseGoal | ResumeGoal, call: _Call) -> list[Block]:
    key = command.metric_key
    status = GoalStatus.PAUSED if isinstance(command, PauseGoal) else GoalStatus.ACTIVE
    async with call.scope() as scope:
        _, changed = await goal_service.set_status(
            **scope, actor=call.actor, metric_key=key, status=status, now=call.now
        )
        return render.notice_blocks(_status_text(key, status, changed=changed))


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
        return render.config_blocks(effective)


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
    shown = format_metric_value(metric, command.value)
    text = f":memo: Recorded `{command.metric_key}` = {shown} for {day:%a %d %b}."
    channel_goals = await _channel_goal_ids(call)
    here = [row for row in rows if row["goal_id"] in channel_goals]
    if here:
        text += f" This channel's goal is now {band_emoji(here[0]['band'])} {here[0]['band']}."
    return render.notice_blocks(text)


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
    return [*render.notice_blocks(_saved_text(change)), *render.config_blocks(effective)]


@_handle.register
async def _post_digest(command: PostDigest, call: _Call) -> list[Block]:
    services, where, engine = call.services, call.where, call.services.engine
    async with call.scope() as scope:
        config = await config_service.effective_config(**scope, default_timezone=services.timezone)
    run_key = None
    if not command.preview:
        run_key = await _claim_manual_digest(services, engine, where, config.timezone)
    try:
        local_date = services.clock().astimezone(ZoneInfo(config.timezone)).date()
        digest = await engine.digest_for(
            where.team_id, where.channel_id, local_date=local_date, timezone=config.timezone
        )
        if digest is None:
            raise NotFoundError(
                "This channel has no active goals, so there is no digest to show.",
                example=CommandLine("set", "dau", "150k"),
            )
        if run_key is None:
            return digest_blocks(digest)
        ts = await engine.messenger.publish_digest(digest)
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
    engine.messenger.attach_chart(digest, ts)
    return render.notice_blocks(":mailbox_with_mail: Posted this channel's digest.")


# Every command has its handler but help and the goal form, answered before `execute`.
_UNHANDLED = set(get_args(Command)) - set(_handle.registry) - {ShowHelp, OpenGoalModal}
assert not _UNHANDLED, f"no handler for {sorted(kind.__name__ for kind in _UNHANDLED)}"


def _manual_digest_key(where: Where, window: int) -> str:
    start = datetime.fromtimestamp(window * MANUAL_DIGEST_MINUTES * 60, UTC)
    return f"{MANUAL_DIGEST_KIND}:{where.team_id}:{where.channel_id}:{start:%Y-%m-%dT%H:%M}"


async def _claim_manual_digest(
    services: Services, engine: Engine, where: Where, timezone: str
) -> str:
    """Claim this window's `/goal digest` for the channel (one per window, in every process),
    refused while a post from the last MANUAL_DIGEST_MINUTES (this window's or the last's)
    stands; returns the run key."""
    now, every = services.clock(), timedelta(minutes=MANUAL_DIGEST_MINUTES)
    window = int(now.timestamp() // every.total_seconds())
    run_key, previous_key = _manual_digest_key(where, window), _manual_digest_key(where, window - 1)
    async with services.database.transaction() as session:
        previous = await claims.get_claim(session=session, run_key=previous_key)
        if previous is not None and _stands(previous, now) and previous.claimed_at > now - every:
            raise _too_soon(previous, timezone)
        claimed = await claims.claim(
            session=session,
            run_key=run_key,
            kind=MANUAL_DIGEST_KIND,
            team_id=where.team_id,
            worker=engine.worker,
            now=now,
            lease_until=now + engine.lease,
        )
        if not claimed:
            current = await claims.get_claim(session=session, run_key=run_key)
            assert current is not None, "a claim that was refused exists"
            raise _too_soon(current, timezone)
    return run_key


def _stands(claim: RunClaim, now: datetime) -> bool:
    """Posted, or being posted; a released claim (the post failed) does not count."""
    return claim.done_at is not None or claim.lease_until > now


def _too_soon(claim: RunClaim, timezone: str) -> GoalpulseError:
    """The refusal of a `/goal digest` within MANUAL_DIGEST_MINUTES of `claim`'s post."""
    text = render.digest_too_soon_text(
        posted_at=claim.claimed_at,
        by=claim.result.get("by"),
        sending=claim.done_at is None,
        next_at=claim.claimed_at + timedelta(minutes=MANUAL_DIGEST_MINUTES),
        timezone=timezone,
        minutes=MANUAL_DIGEST_MINUTES,
    )
    return GoalpulseError(text, example=CommandLine("digest", "preview"))


def _saved_text(change: ConfigChange) -> str:
    if change.treatment is not None:
        return render.treatment_saved_text(change.treatment)
    if change.checklist is None:
        return ":gear: Settings saved."
    title = f"*{escape_mrkdwn(change.checklist.title)}*"
    if change.checklist.action == "add":
        return f":gear: Added {title} to the checklist of every new remediation."
    return f":gear: Removed {title} from the checklist of new remediations."


def _status_text(key: str, status: GoalStatus, *, changed: bool) -> str:
    if status is GoalStatus.PAUSED:
        if not changed:
            return f"`{key}` was already paused. `{SLASH_COMMAND} resume {key}` restarts it."
        return (
            f":double_vertical_bar: Paused `{key}`: no alerts or digest lines until "
            f"`{SLASH_COMMAND} resume {key}`."
        )
    if not changed:
        return f"`{key}` is already active."
    return f":arrow_forward: Resumed `{key}`."
