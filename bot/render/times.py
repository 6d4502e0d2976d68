"""Moments and durations as people read them: a channel's local time, a time Slack shows in
the reader's own timezone, and the time left before a deadline. Pure."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_time(moment: datetime, timezone: str) -> str:
    """`Fri 28 Nov, 09:30 CET`: a moment in a channel's timezone (UTC if it is unknown)."""
    local = aware(moment).astimezone(zone(timezone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"


def time_left(due_at: datetime, now: datetime) -> str:
    """`41h left`, `25m left` or `past due`: whole hours, then minutes (at least 1), rounded
    down."""
    seconds = (aware(due_at) - aware(now)).total_seconds()
    if seconds <= 0:
        return "past due"
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h left"
    return f"{max(1, int(seconds // 60))}m left"


def viewer_time(moment: datetime) -> str:
    """A time Slack shows in the reader's own timezone, with a UTC fallback."""
    moment = aware(moment)
    fallback = local_time(moment, "UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def zone(name: str) -> ZoneInfo:
    """The named timezone, or UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def aware(moment: datetime) -> datetime:
    """The moment with a timezone: a naive one is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
