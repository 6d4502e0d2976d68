"""Readers for the words inside a `/goal` command: mentions, dates, times and timezones, and the
Chinese names a subcommand may be typed with.

Pure; each raises UsageError with the command's corrected example when a word is wrong.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date
from zoneinfo import available_timezones

from bot.render.text import quoted
from jobs.errors import CommandLine, UsageError
from jobs.i18n import _

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>")
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Chinese names of subcommands, read as the English word; examples and help stay in English.
SUBCOMMAND_ALIASES: Mapping[str, str] = {
    "设定": "set",
    "设置": "set",
    "列表": "list",
    "显示": "show",
    "查看": "show",
    "帮助": "help",
    "配置": "config",
    "签到": "checkin",
    "打卡": "checkin",
}


def subcommand_word(token: str) -> str:
    """A typed subcommand as the English word the parser reads: `列表` → `list`, `SET` → `set`."""
    lowered = token.lower()
    return SUBCOMMAND_ALIASES.get(lowered, lowered)


def once(fields: Mapping[str, object], field: str, word: str, example: CommandLine) -> None:
    """Refuse a keyword given twice."""
    if field in fields:
        raise UsageError(
            _("{word} is given twice; give it once.").format(word=quoted(word)), example=example
        )


def no_more(args: list[str], example: CommandLine) -> None:
    """Refuse words left over at the end."""
    if args:
        raise UsageError(
            _("Unexpected {words} at the end.").format(words=quoted(" ".join(args))),
            example=example,
        )


def due_date(token: str | None, today: date, example: CommandLine) -> date:
    """A `YYYY-MM-DD` date that is not in the past."""
    example = _with_due(example, f"{today.year + 1}-03-31")
    if token is None:
        raise UsageError(_("`by` needs a date written YYYY-MM-DD."), example=example)
    try:
        # fromisoformat alone would also take `20270331` and week dates like `2027-W01-1`.
        if not _ISO_DATE.fullmatch(token):
            raise ValueError(token)
        due = date.fromisoformat(token)
    except ValueError:
        raise UsageError(
            _("{word} is not a date; write it as YYYY-MM-DD.").format(word=quoted(token)),
            example=example,
        ) from None
    if due < today:
        raise UsageError(
            _("The due date {due} is in the past (today is {today}).").format(
                due=token, today=today.isoformat()
            ),
            example=example,
        )
    return due


def _with_due(example: CommandLine, due: str) -> CommandLine:
    """The example with `by <due>` before its `owner`."""
    words: list[str] = []
    for word in example.words:
        words += ["by", due, word] if word == "owner" else [word]
    return CommandLine(*words)


def user_mention(token: str | None, role: str, example: CommandLine) -> str:
    """The user ID inside an escaped mention like `<@U0ANA|ana>`."""
    match = _USER_MENTION.fullmatch(token or "")
    if match is None:
        message = (
            _("`{role}` needs an @mention of a person, but got {word}.").format(
                role=role, word=quoted(token)
            )
            if token
            else _("`{role}` needs an @mention of a person, but got nothing.").format(role=role)
        )
        raise UsageError(message, example=example)
    return match[1]


def clock_time(token: str | None, example: CommandLine) -> str:
    """`9:05` → `09:05` (24-hour)."""
    if token is None:
        raise UsageError(
            _("`digest` needs a time of day written HH:MM (24-hour)."), example=example
        )
    match = _CLOCK.fullmatch(token)
    if match is None:
        raise UsageError(
            _("{word} is not a time of day; write it as HH:MM (24-hour).").format(
                word=quoted(token)
            ),
            example=example,
        )
    return f"{int(match[1]):02d}:{match[2]}"


@functools.cache
def _timezones() -> dict[str, str]:
    """Area/City names (and UTC) by their lower-case spelling."""
    names = {name for name in available_timezones() if "/" in name} | {"UTC"}
    return {name.lower(): name for name in names}


def timezone_name(name: str | None, example: CommandLine) -> str:
    """The canonical Area/City name for a timezone, matched case-insensitively."""
    if name is None:
        raise UsageError(_("`tz` needs an Area/City name like Europe/Berlin."), example=example)
    # A lookup, not ZoneInfo(name): user text never becomes a file path, and
    # `America/Argentina` (a folder of zones) is refused instead of raising IsADirectoryError.
    zone = _timezones().get(name.lower())
    if zone is None:
        raise UsageError(
            _("{word} is not a timezone; use an Area/City name like Europe/Berlin.").format(
                word=quoted(name)
            ),
            example=example,
        )
    return zone
