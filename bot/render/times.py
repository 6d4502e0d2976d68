"""Moments and durations as people read them, in the locale in force (jobs/i18n.py): a
channel's local time, a time Slack shows in the reader's own timezone, days with and without
their year, and the time left before a deadline. English reads as it always has. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date

from bot.render.figures import reader_day
from jobs.i18n import EN, _, current_locale
from jobs.reader_days import weekday_date

_BABEL_ZH = "zh_CN"


def local_time(moment: datetime, timezone: str) -> str:
    """`Fri 28 Nov, 09:30 CET` (zh-CN `11月28日 周五 09:30 CET`): a moment in a channel's
    timezone (UTC if it is unknown)."""
    local = aware(moment).astimezone(zone(timezone))
    if current_locale() == EN:
        return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"
    return f"{reader_day(local.date())} {local:%H:%M} {local.tzname()}"


def time_left(due_at: datetime, now: datetime) -> str:
    """`41h left`, `25m left` or `past due` (zh-CN `剩余 41 小时`, `已逾期`): whole hours, then
    minutes (at least 1), rounded down."""
    seconds = (aware(due_at) - aware(now)).total_seconds()
    if seconds <= 0:
        return _("past due")
    if seconds >= 3600:
        return _("{hours}h left").format(hours=int(seconds // 3600))
    return _("{minutes}m left").format(minutes=max(1, int(seconds // 60)))


def viewer_time(moment: datetime) -> str:
    """A time Slack shows in the reader's own timezone, with a UTC fallback."""
    moment = aware(moment)
    fallback = local_time(moment, "UTC")
    # Slack fills its own tokens ({date_short_pretty}, {time}) in the reader's Slack language.
    shown = _("{day} at {time}").format(day="{date_short_pretty}", time="{time}")
    return f"<!date^{int(moment.timestamp())}^{shown}|{fallback}>"


def day_with_year(day: date) -> str:
    """`Wed 25 Nov 2026` (zh-CN `2026年11月25日 周三`): jobs/reader_days.py's, which refusals
    made in jobs/ use too."""
    return weekday_date(day)


def day_month(day: date, near: date) -> str:
    """`31 Mar`, with the year when it is not `near`'s: `14 Jun 2028` (zh-CN `3月31日`,
    `2028年6月14日`)."""
    if current_locale() == EN:
        text = f"{day.day} {day:%b}"
        return text if day.year == near.year else f"{text} {day.year}"
    pattern = "M月d日" if day.year == near.year else "y年M月d日"
    return format_date(day, pattern, locale=_BABEL_ZH)


def zone(name: str) -> ZoneInfo:
    """The named timezone, or UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def aware(moment: datetime) -> datetime:
    """The moment with a timezone: a naive one is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
