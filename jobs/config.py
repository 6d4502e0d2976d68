"""`/goal config`: who the CEO and channel lead are, when and in which timezone digests go out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.errors import PermissionDeniedError
from jobs.goals import Actor
from storage import audit, workspace

DEFAULT_DIGEST_TIME = "09:30"


@dataclass(frozen=True)
class ConfigChange:
    """Settings to change; None means "leave as it is"."""

    ceo_id: str | None = None
    lead_id: str | None = None
    digest_time: str | None = None
    timezone: str | None = None

    @property
    def is_empty(self) -> bool:
        return not any((self.ceo_id, self.lead_id, self.digest_time, self.timezone))


@dataclass(frozen=True)
class EffectiveConfig:
    """What applies to a channel, and where each value came from."""

    ceo_id: str | None
    lead_id: str | None
    digest_time: str
    digest_time_source: str
    timezone: str
    timezone_source: str


async def configure(
    *,
    session: AsyncSession,
    team_id: str,
    channel_id: str,
    actor: Actor,
    change: ConfigChange,
    now: datetime,
) -> None:
    """Apply a change; the CEO can only be set by a workspace admin."""
    if change.ceo_id is not None and not await actor.is_admin():
        raise PermissionDeniedError(
            "Only a workspace admin or owner can set the CEO. "
            "Ask an admin to run the command, or set the channel lead instead.",
            example="/goal config lead @li",
        )
    details: dict[str, str] = {}
    if change.ceo_id is not None:
        row = await workspace.workspace_settings_for_update(
            session=session, team_id=team_id, now=now
        )
        row.ceo_id = details["ceo_id"] = change.ceo_id
    if change.lead_id or change.digest_time or change.timezone:
        channel = await workspace.channel_settings_for_update(
            session=session, team_id=team_id, channel_id=channel_id, now=now
        )
        if change.lead_id is not None:
            channel.lead_id = details["lead_id"] = change.lead_id
        if change.digest_time is not None:
            channel.digest_time = details["digest_time"] = change.digest_time
        if change.timezone is not None:
            channel.timezone = details["timezone"] = change.timezone
    await audit.record_event(
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        actor_id=actor.user_id,
        action="config.update",
        subject="config",
        details=details,
        at=now,
    )


async def effective_config(
    *, session: AsyncSession, team_id: str, channel_id: str, default_timezone: str
) -> EffectiveConfig:
    """The settings that apply to a channel: channel, else workspace, else deployment default."""
    ws = await workspace.get_workspace_settings(session=session, team_id=team_id)
    ch = await workspace.get_channel_settings(
        session=session, team_id=team_id, channel_id=channel_id
    )
    digest, digest_source = _first(
        (ch.digest_time if ch else None, "channel"),
        (ws.digest_time if ws else None, "workspace"),
        (DEFAULT_DIGEST_TIME, "default"),
    )
    zone, zone_source = _first(
        (ch.timezone if ch else None, "channel"),
        (ws.timezone if ws else None, "workspace"),
        (default_timezone, "default"),
    )
    return EffectiveConfig(
        ceo_id=ws.ceo_id if ws else None,
        lead_id=ch.lead_id if ch else None,
        digest_time=digest,
        digest_time_source=digest_source,
        timezone=zone,
        timezone_source=zone_source,
    )


def _first(*candidates: tuple[str | None, str]) -> tuple[str, str]:
    for value, source in candidates:
        if value:
            return value, source
    raise ValueError("no candidate had a value")
