"""Chinese magnitudes as typed (`1.2万`, `5亿元`, `１２％`); numbers, money and days per locale."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from bot.commands.parse import SetGoal, parse_command
from bot.render.digest import short_day
from bot.render.text import error_text
from jobs.errors import UsageError
from jobs.i18n import LOCALES, normalise_locale
from jobs.metrics.catalog import load_catalog
from jobs.metrics.locale_numbers import format_day, format_money, format_number, format_percent
from jobs.metrics.quantities import Quantity, parse_quantity

CATALOG = load_catalog(Path(__file__).parents[2] / "support" / "metrics.yml")
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1.2万", Quantity(12_000, text="1.2万"), id="wan"),
        pytest.param("3亿", Quantity(300_000_000, text="3亿"), id="yi"),
        pytest.param("3千", Quantity(3_000, text="3千"), id="qian"),
        pytest.param("1万亿", Quantity(1e12, text="1万亿"), id="wan-yi"),
        pytest.param("-1.2万", Quantity(-12_000, text="-1.2万"), id="negative-wan"),
        pytest.param("¥5亿", Quantity(5e8, currency="¥", text="¥5亿"), id="yen-sign-yi"),
        pytest.param("5亿元", Quantity(5e8, currency="¥", text="5亿元"), id="yi-yuan"),
        pytest.param("520元", Quantity(520, currency="¥", text="520元"), id="yuan"),
        pytest.param("-5亿元", Quantity(-5e8, currency="¥", text="-5亿元"), id="negative-yuan"),
        pytest.param("$1.5万", Quantity(15_000, currency="$", text="$1.5万"), id="dollar-wan"),
        pytest.param("12%", Quantity(12, percent=True, text="12%"), id="percent"),
        pytest.param("１２％", Quantity(12, percent=True, text="１２％"), id="fullwidth-percent"),
        pytest.param("１．２万", Quantity(12_000, text="１．２万"), id="fullwidth-point"),
        pytest.param("￥５２０", Quantity(520, currency="¥", text="￥５２０"), id="fullwidth-yen"),
        pytest.param("0.07万", Quantity(700, text="0.07万"), id="exact-decimal"),
    ],
)
def test_parse_quantity_reads_chinese_magnitudes(text: str, expected: Quantity) -> None:
    """万, 亿, 千 and 万亿 multiply; 元 means ¥; full-width digits read as ASCII ones."""
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("万", id="magnitude-alone"),
        pytest.param("元", id="yuan-alone"),
        pytest.param("1.2万万", id="two-magnitudes"),
        pytest.param("1.2k万", id="k-then-wan"),
        pytest.param("1.2万k", id="wan-then-k"),
        pytest.param("12万%", id="wan-percent"),
        pytest.param("¥5亿元", id="sign-and-yuan"),
        pytest.param("5元亿", id="yuan-before-magnitude"),
        pytest.param("万5", id="magnitude-first"),
        pytest.param("5²", id="superscript-is-not-a-digit"),
        pytest.param("٣万", id="arabic-indic-digit"),
    ],
)
def test_parse_quantity_refuses_mixed_or_bare_magnitudes(text: str) -> None:
    """One magnitude after a number, never two and never mixed with k/M/B or %."""
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    ("command", "target"),
    [
        pytest.param("set dau 1.2万", 12_000, id="count"),
        pytest.param("set aov 5亿元", 5e8, id="yuan"),
        pytest.param("set aov ¥1.2万", 12_000, id="yen-sign"),
        pytest.param("set next_day_retention １２％", 0.12, id="fullwidth-percent"),
    ],
)
def test_goal_set_takes_chinese_targets(command: str, target: float) -> None:
    """`/goal set` stores the target a Chinese speaker typed in the metric's own scale."""
    parsed = parse_command(command, catalog=CATALOG, today=TODAY)
    assert isinstance(parsed, SetGoal)
    assert parsed.change.target == target


@pytest.mark.parametrize(
    "typed", [pytest.param("万", id="alone"), pytest.param("1.2万万", id="twice"), "1.2k万"]
)
def test_goal_set_refuses_bad_chinese_targets_like_any_bad_number(typed: str) -> None:
    """The refusal is the usual one: the text, quoted, `is not a number`, with an example."""
    with pytest.raises(UsageError) as caught:
        parse_command(f"set dau {typed}", catalog=CATALOG, today=TODAY)
    assert f"`{typed}` is not a number" in error_text(caught.value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(12_000, "1.2万", id="wan"),
        pytest.param(300_000_000, "3亿", id="yi"),
        pytest.param(1_234, "1234", id="under-wan-no-grouping"),
        pytest.param(0.5, "0.5", id="half"),
        pytest.param(9_999, "9999", id="just-under-wan"),
        pytest.param(10_000, "1万", id="one-wan"),
        pytest.param(12_345, "1.2万", id="rounds-wan"),
        pytest.param(123_456_789, "1.2亿", id="rounds-yi"),
        pytest.param(12_500, "1.2万", id="half-to-even-down"),
        pytest.param(13_500, "1.4万", id="half-to-even-up"),
        pytest.param(99_999_999, "1亿", id="rounding-moves-up-a-unit"),
        pytest.param(99_990_000, "9999万", id="stays-wan"),
        pytest.param(1e12, "1万亿", id="wan-yi"),
        pytest.param(1_234.567, "1234.57", id="two-decimals-under-wan"),
        pytest.param(0.125, "0.12", id="two-decimals-half-even"),
        pytest.param(0, "0", id="zero"),
        pytest.param(-0.001, "0", id="negative-rounds-to-zero"),
        pytest.param(-12_000, "-1.2万", id="negative-wan"),
        pytest.param(-520.5, "-520.5", id="negative-small"),
        pytest.param(math.nan, "—", id="nan"),
        pytest.param(-math.inf, "—", id="infinity"),
    ],
)
def test_format_number_counts_in_wan_and_yi_for_zh_cn(value: float, shown: str) -> None:
    """zh-CN groups by 万 and 亿 with one decimal; below 万 up to two decimals."""
    assert format_number(value, locale="zh-CN") == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(12_000, "12k", id="k"),
        pytest.param(300_000_000, "300M", id="m"),
        pytest.param(1_234, "1.2k", id="small-k"),
        pytest.param(0.5, "0.5", id="half"),
        pytest.param(-3_500, "-3.5k", id="negative"),
        pytest.param(0, "0", id="zero"),
    ],
)
def test_format_number_in_english_is_todays_k_m_b(value: float, shown: str) -> None:
    """English keeps the k/M/B the bot shows today."""
    assert format_number(value, locale="en") == shown


@pytest.mark.parametrize(
    "text", ["1.2万", "3亿", "3千", "1234", "0.5", "1万亿", "-1.2万", "0", "9999.5"]
)
def test_zh_cn_numbers_read_back_as_typed(text: str) -> None:
    """What a Chinese speaker types is what goalpulse shows back (3千 shows as 3000)."""
    quantity = parse_quantity(text)
    assert quantity is not None
    expected = "3000" if text == "3千" else text
    assert format_number(quantity.value, locale="zh-CN") == expected


@pytest.mark.parametrize(
    ("value", "currency", "locale", "shown"),
    [
        pytest.param(5e8, "CNY", "zh-CN", "¥5亿", id="zh-cny-yi"),
        pytest.param(12_000, "CNY", "zh-CN", "¥1.2万", id="zh-cny-wan"),
        pytest.param(520, "CNY", "zh-CN", "¥520", id="zh-cny-small"),
        pytest.param(520.5, "CNY", "zh-CN", "¥520.5", id="zh-cny-decimal"),
        pytest.param(-520, "CNY", "zh-CN", "-¥520", id="zh-negative"),
        pytest.param(-0.001, "CNY", "zh-CN", "¥0", id="zh-negative-zero"),
        pytest.param(0, "CNY", "zh-CN", "¥0", id="zh-zero"),
        pytest.param(5e8, "¥", "zh-CN", "¥5亿", id="zh-sign-as-given"),
        pytest.param(12_000, "USD", "zh-CN", "US$1.2万", id="zh-usd"),
        pytest.param(3e8, "EUR", "zh-CN", "€3亿", id="zh-eur"),
        pytest.param(math.nan, "CNY", "zh-CN", "—", id="zh-nan"),
        pytest.param(520, "¥", "en", "¥520", id="en-sign"),
        pytest.param(1_200, "USD", "en", "$1.2k", id="en-usd"),
        pytest.param(520, "CNY", "en", "CN¥520", id="en-cny"),
        pytest.param(-5, "$", "en", "-$5", id="en-negative"),
    ],
)
def test_format_money_puts_the_locales_sign_in_front(
    value: float, currency: str, locale: str, shown: str
) -> None:
    """A sign is used as given; an ISO code becomes the sign Babel gives for the locale."""
    assert format_money(value, currency, locale=locale) == shown


@pytest.mark.parametrize("text", ["¥5亿", "5亿元", "¥1.2万", "¥520", "¥520.5", "-¥520"])
def test_zh_cn_money_reads_back(text: str) -> None:
    """Yuan typed either way shows back as ¥ and the 万/亿 figure."""
    quantity = parse_quantity(text)
    assert quantity is not None
    assert quantity.currency is not None
    expected = "¥5亿" if text == "5亿元" else text
    assert format_money(quantity.value, quantity.currency, locale="zh-CN") == expected


def test_format_money_refuses_an_unknown_currency() -> None:
    with pytest.raises(ValueError, match="'XYZ' is neither a currency sign"):
        format_money(5, "XYZ", locale="zh-CN")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(12, "12%", id="whole"),
        pytest.param(12.5, "12.5%", id="decimal"),
        pytest.param(24.14, "24.1%", id="one-decimal"),
        pytest.param(-2.5, "-2.5%", id="negative"),
        pytest.param(0, "0%", id="zero"),
    ],
)
@pytest.mark.parametrize("locale", LOCALES)
def test_format_percent_is_the_same_in_both_locales(value: float, shown: str, locale: str) -> None:
    assert format_percent(value, locale=locale) == shown


def test_fullwidth_percent_reads_back_as_ascii() -> None:
    quantity = parse_quantity("１２％")
    assert quantity is not None
    assert format_percent(quantity.value, locale="zh-CN") == "12%"


# Monday 29 December 2025 to Sunday 4 January 2026: every weekday, across a year boundary.
DAYS = [
    pytest.param(date(2025, 12, 29), "12月29日 周一", "Mon 29 Dec", id="mon"),
    pytest.param(date(2025, 12, 30), "12月30日 周二", "Tue 30 Dec", id="tue"),
    pytest.param(date(2025, 12, 31), "12月31日 周三", "Wed 31 Dec", id="wed-new-years-eve"),
    pytest.param(date(2026, 1, 1), "1月1日 周四", "Thu 1 Jan", id="thu-new-year"),
    pytest.param(date(2026, 1, 2), "1月2日 周五", "Fri 2 Jan", id="fri"),
    pytest.param(date(2026, 1, 3), "1月3日 周六", "Sat 3 Jan", id="sat"),
    pytest.param(date(2026, 1, 4), "1月4日 周日", "Sun 4 Jan", id="sun"),
    pytest.param(date(2026, 11, 30), "11月30日 周一", "Mon 30 Nov", id="mon-30-nov"),
]


@pytest.mark.parametrize(("day", "zh", "en"), DAYS)
def test_format_day_writes_month_day_and_weekday(day: date, zh: str, en: str) -> None:
    """zh-CN `M月d日 周X`; English is the digest heading's day, as today."""
    assert format_day(day, locale="zh-CN") == zh
    assert format_day(day, locale="en") == en == short_day(day)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        pytest.param("zh", "zh-CN", id="zh"),
        pytest.param("zh-CN", "zh-CN", id="zh-CN"),
        pytest.param("zh_CN", "zh-CN", id="zh_CN"),
        pytest.param("zh-Hans", "zh-CN", id="zh-Hans"),
        pytest.param("ZH-cn", "zh-CN", id="any-case"),
        pytest.param("en", "en", id="en"),
        pytest.param("en-US", "en", id="en-US"),
        pytest.param("en_GB", "en", id="en_GB"),
        pytest.param(" en ", "en", id="spaces"),
    ],
)
def test_normalise_locale_names_one_of_the_locales(text: str, locale: str) -> None:
    assert normalise_locale(text) == locale
    assert locale in LOCALES


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("zh-TW", id="traditional-taiwan"),
        pytest.param("zh-Hant", id="traditional"),
        pytest.param("fr", id="french"),
        pytest.param("en-AU", id="unlisted-english"),
        pytest.param("", id="empty"),
    ],
)
def test_normalise_locale_refuses_other_tags(text: str) -> None:
    with pytest.raises(ValueError, match="is not a locale goalpulse speaks"):
        normalise_locale(text)


def test_formatting_refuses_a_locale_it_does_not_speak() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        format_number(12_000, locale="fr")
    with pytest.raises(ValueError, match="'ja'"):
        format_day(date(2026, 1, 1), locale="ja")
