"""Numbers, money, percentages and days as English and Simplified Chinese readers write them.

English is what goalpulse shows today (`12k`, `$520`, `Mon 30 Nov`); Simplified Chinese counts
in 万 and 亿 (`1.2万`, `¥5亿`, `11月30日 周一`). Pure: Babel's locale data is loaded at import.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_decimal, get_currency_symbol, is_currency

from jobs.i18n import EN, ZH_CN, normalise_locale
from jobs.metrics.catalog import Unit
from jobs.metrics.quantities import format_value, is_currency_symbol

_BABEL: Final = {EN: Locale.parse("en"), ZH_CN: Locale.parse("zh_CN")}
# Below 万 a number keeps at most this many decimals; from 万 on, the 万/亿 figure keeps one.
_SMALL_DIGITS: Final = Decimal("0.01")
_UNIT_DIGITS: Final = 1
_NOT_A_NUMBER: Final = "—"


def format_number(value: float, *, locale: str) -> str:
    """A count as the locale reads it: en `12k`, `1.2M`; zh-CN `1.2万`, `3亿`, `1234`.

    zh-CN rounding: below 10,000 at most two decimals (`0.5`, `1234.56`, no grouping);
    from 10,000 on one decimal of 万, 亿 or 万亿 (12,345 → `1.2万`, 123,456,789 → `1.2亿`).
    Halves round to even (12,500 → `1.2万`, 13,500 → `1.4万`) and the rounded figure picks
    the unit, so 99,999,999 is `1亿`, never `10000万`. NaN and infinities show as `—`.
    """
    if normalise_locale(locale) == EN:
        return format_value(Unit.COUNT, value)
    if not math.isfinite(value):
        return _NOT_A_NUMBER
    # Decimal(repr()) rounds the value as written: 0.125 → 0.12, not float noise.
    rounded = Decimal(repr(abs(value))).quantize(_SMALL_DIGITS, rounding=ROUND_HALF_EVEN)
    if rounded == 0:
        return "0"  # never `-0`
    shown = format_compact_decimal(
        rounded, format_type="short", locale=_BABEL[ZH_CN], fraction_digits=_UNIT_DIGITS
    )
    return f"-{shown}" if value < 0 else shown


def format_money(value: float, currency: str, *, locale: str) -> str:
    """Money as the locale reads it: zh-CN `¥5亿`, `¥1.2万`, `¥520.5`; en `¥520`, `$1.2k`.

    `currency` is a sign (`¥`, used as it is) or an ISO code whose sign Babel gives for the
    locale (zh-CN: CNY `¥`, USD `US$`; en: USD `$`, CNY `CN¥`). The sign goes after any
    minus: `-¥520`. Raises ValueError for a code Babel does not know.
    """
    found = normalise_locale(locale)
    sign = _currency_sign(currency, found)
    if found == EN:
        return format_value(Unit.CURRENCY, value, currency=sign)
    shown = format_number(abs(value), locale=found)
    if shown == _NOT_A_NUMBER:
        return shown
    return f"-{sign}{shown}" if value < 0 and shown != "0" else f"{sign}{shown}"


def format_percent(value: float, *, locale: str) -> str:
    """Percentage points, as `12%` parses, shown the same in both locales: `12%`, `24.1%`."""
    normalise_locale(locale)
    return format_value(Unit.PERCENT, value, scale="percent")


def format_day(day: date, *, locale: str) -> str:
    """A digest heading's day: en `Mon 30 Nov`, zh-CN `11月30日 周一`."""
    if normalise_locale(locale) == EN:
        # bot/render/digest.py short_day writes every English day through here.
        return f"{day:%a} {day.day} {day:%b}"
    return format_date(day, "M月d日 EEE", locale=_BABEL[ZH_CN])


def _currency_sign(currency: str, locale: str) -> str:
    """The sign to write in front of an amount: a sign as given, a code's sign in the locale."""
    if is_currency_symbol(currency):
        return currency
    if not is_currency(currency):
        raise ValueError(f"{currency!r} is neither a currency sign nor an ISO 4217 code")
    return get_currency_symbol(currency, locale=_BABEL[locale])
