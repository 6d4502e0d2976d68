"""Run a parsed `/goal` command: call the service, render the reply. No Slack I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from slack_sdk.models.blocks import Block
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.parse import (
    Command,
    Configure,
    ListGoals,
    PauseGoal,
    RemoveGoal,
    ResumeGoal,
    SetGoal,
    SetThresholds,
    ShowGoal,
)
from bot.constants import SLASH_COMMAND
from bot.render import blocks as render
from bot.services import Services
from jobs import config as config_service
from jobs import goals as goal_service
from jobs.goals import Actor
from storage import goals as goal_store
from storage.models import GoalStatus


@dataclass(frozen=True)
class Where:
    """The workspace and channel a command was typed in."""

    team_id: str
    channel_id: str


class _Scope(TypedDict):
    session: AsyncSession
    team_id: str
    channel_id: str


async def execute(
    command: Command, *, services: Services, where: Where, actor: Actor
) -> list[Block]:
    """Carry out one command in a single transaction and return the reply."""
    now = services.clock()
    catalog = services.catalog
    async with services.database.transaction() as session:
        scope = _Scope(session=session, team_id=where.team_id, channel_id=where.channel_id)
        match command:
            case SetGoal(change=change):
                goal, created = await goal_service.set_goal(
                    **scope, catalog=catalog, actor=actor, change=change, now=now
                )
                metric = goal_service.require_metric(catalog, goal.metric_key)
                return render.goal_saved_blocks(goal, metric, created=created)
            case ListGoals():
                goals = await goal_store.list_goals(**scope)
                return render.goal_list_blocks(goals, catalog)
            case ShowGoal(metric_key=key):
                goal = await goal_service.find_goal(**scope, metric_key=key)
                return render.goal_detail_blocks(goal, catalog.get(key))
            case SetThresholds(metric_key=key, thresholds=thresholds):
                goal = await goal_service.set_thresholds(
                    **scope, actor=actor, metric_key=key, thresholds=thresholds, now=now
                )
                return render.notice_blocks(
                    f":straight_ruler: `{key}` now alerts at {render.percent(goal.yellow)} "
                    f"(yellow), {render.percent(goal.orange)} (orange) and "
                    f"{render.percent(goal.red)} (red) off target."
                )
            case PauseGoal(metric_key=key) | ResumeGoal(metric_key=key):
                status = GoalStatus.PAUSED if isinstance(command, PauseGoal) else GoalStatus.ACTIVE
                _, changed = await goal_service.set_status(
                    **scope, actor=actor, metric_key=key, status=status, now=now
                )
                return render.notice_blocks(_status_text(key, status, changed=changed))
            case RemoveGoal(metric_key=key):
                await goal_service.remove_goal(**scope, actor=actor, metric_key=key, now=now)
                return render.notice_blocks(
                    f":wastebasket: Removed the `{key}` goal from this channel. "
                    f"Set it again any time with `{SLASH_COMMAND} set {key} <target>`."
                )
            case Configure(change=change) if not change.is_empty:
                await config_service.configure(**scope, actor=actor, change=change, now=now)
                effective = await config_service.effective_config(
                    **scope, default_timezone=services.timezone
                )
                return [
                    *render.notice_blocks(":gear: Settings saved."),
                    *render.config_blocks(effective),
                ]
            case Configure():
                effective = await config_service.effective_config(
                    **scope, default_timezone=services.timezone
                )
                return render.config_blocks(effective)
    raise AssertionError(f"no handler for {command!r}")


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
