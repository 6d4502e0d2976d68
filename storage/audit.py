"""The audit log: who changed what, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent


async def record_event(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str | None,
    actor_id: str,
    action: str,
    subject: str,
    details: dict[str, Any],
    at: datetime,
) -> None:
    """Append one event in the caller's transaction."""
    session.add(
        AuditEvent(
            team_id=team_id,
            channel_id=channel_id,
            actor_id=actor_id,
            action=action,
            subject=subject,
            details=details,
            at=at,
        )
    )
