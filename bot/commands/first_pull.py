"""After a goal is saved: pull its metric at once if it has no recent value, and say what came."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from slack_sdk.models.blocks import Block

from bot.commands.handlers import Where
from bot.render.blocks import first_pull_blocks
from bot.services import Services
from jobs.i18n import _
from storage import goals as goal_store

Reply = Callable[[Sequence[Block], str], Awaitable[None]]


async def follow_up_first_pull(
    *, services: Services, where: Where, metric_key: str, reply: Reply
) -> None:
    """Pull a goal's never-pulled metric now and tell the person who set it what came back."""
    engine, metric = services.engine, services.catalog.get(metric_key)
    if metric is None:
        return
    async with services.database.transaction() as session:
        goal = await goal_store.get_goal(
            session=session,
            team_id=where.team_id,
            channel_id=where.channel_id,
            metric_key=metric_key,
        )
    if goal is None:
        return
    outcome = await engine.first_pull(goal)
    if outcome is None:
        return
    blocks = first_pull_blocks(outcome, metric, staleness_days=engine.policy.staleness_days)
    fallback = (
        _("First pull of {key}: failed") if outcome.error else _("First pull of {key}: done")
    ).format(key=metric_key)
    await reply(blocks, fallback)
