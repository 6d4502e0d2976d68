"""Days with their year, as a message made in jobs/ (a refusal) names them to its reader.

The locale in force (jobs/i18n.py) picks the form. English is what goalpulse has always written;
Simplified Chinese goes through jobs/metrics/locale_numbers.py (`2026年11月30日 周一`).
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from jobs.i18n import EN, current_locale
from jobs.metrics.locale_numbers import format_day


def weekday_date(day: date) -> str:
    """en `Mon 05 Jan 2026` (day zero-padded), zh-CN `2026年1月5日 周一`."""
    locale = current_locale()
    if locale == EN:
        return f"{day:%a %d %b %Y}"
    return f"{day.year}年{format_day(day, locale=locale)}"


def calendar_date(day: date) -> str:
    """en `5 Jan 2026`, zh-CN `2026年1月5日`."""
    if current_locale() == EN:
        return f"{day.day} {day:%b %Y}"
    return format_date(day, "y年M月d日", locale="zh_CN")
