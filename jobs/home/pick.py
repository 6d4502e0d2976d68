"""Picking the goal whose chart a person's Home tab shows: only a goal they own or lead."""

from __future__ import annotations

from datetime import datetime

from storage import goals as goal_store
from storage import home as home_store
from storage.db import Database


async def pick_chart(
    *, database: Database, team_id: str, user_id: str, goal_id: int, now: datetime
) -> bool:
    """Remember the pick; False (nothing stored) when the goal is not an active one the person
    owns or leads in this workspace."""
    async with database.transaction() as session:
        goals = await goal_store.person_goals(session=session, team_id=team_id, user_id=user_id)
        goal = next((g for g in goals if g.id == goal_id), None)
        if goal is None:
            return False
        await home_store.record_chart_pick(
            session=session,
            team_id=team_id,
            user_id=user_id,
            goal_id=goal_id,
            channel_id=goal.channel_id,
            at=now,
        )
    return True
