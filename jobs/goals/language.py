"""The language a channel reads: its own choice, else its workspace's, else English; a person
reads their Slack locale before their workspace's.

`reader_locale` and `person_locale` are the one place those rules live; `language_named` reads
the names people type for a language (`zh-CN`, `zh_CN`, `zh`, `中文`, `en`, `English`).
"""

from __future__ import annotations

from typing import Final

from jobs.i18n import EN, _, normalise_locale, pick_locale, spoken
from storage import workspace
from storage.db import Database

# Names of a language beyond the tags jobs/metrics/locale_numbers.py reads, lower-cased.
_NAMES: Final = {"中文": "zh-CN", "简体中文": "zh-CN", "chinese": "zh-CN", "english": EN}
# The words that clear a language choice: a channel then reads its workspace's.
CLEAR_WORDS: Final = ("off", "default")


def language_named(text: str) -> str | None:
    """The locale a typed language name means (`zh-CN` or `en`); None when it is none we speak."""
    named = _NAMES.get(text.strip().lower())
    if named is not None:
        return named
    try:
        return normalise_locale(text)
    except ValueError:
        return None


def language_label(locale: str) -> str:
    """A language's name in the locale in force: English, 简体中文."""
    return _("Simplified Chinese") if locale != EN else _("English")


async def reader_locale(database: Database, team_id: str, channel_id: str | None) -> str:
    """The locale people read in `channel_id` (None: outside a channel): the channel's choice,
    else the workspace's, else English. Every read is scoped by `team_id`."""
    async with database.transaction() as session:
        channel = (
            await workspace.get_channel_settings(
                session=session, team_id=team_id, channel_id=channel_id
            )
            if channel_id
            else None
        )
        if channel is not None and channel.language:
            return pick_locale(channel.language)
        row = await workspace.get_workspace_settings(session=session, team_id=team_id)
    return pick_locale(row.language if row is not None else None)


async def person_locale(database: Database, team_id: str, slack_locale: str | None) -> str:
    """The locale a person reads in their DMs and Home tab: their Slack locale when goalpulse
    speaks it (`ja-JP` does not count), else their workspace's language, else English."""
    return spoken(slack_locale) or await reader_locale(database, team_id, None)
