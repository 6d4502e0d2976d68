"""The language a channel reads: its own choice, else its workspace's, else English; a person
reads their Slack locale before their workspace's.

`reader_locale` and `person_locale` are the one place those rules live; `language_named` reads
the names people type for a language (`zh-CN`, `zh_CN`, `zh`, `中文`, `en`, `English`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import null, union_all
from sqlmodel import col, select

from jobs.i18n import EN, _, normalise_locale, pick_locale, spoken
from storage import workspace
from storage.db import Database
from storage.models import ChannelSettings, WorkspaceSettings

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
    else the workspace's, else English. Every read is scoped by `team_id`; a channel's choice
    counts only when not empty (as `WorkspaceLanguages.of` reads it too)."""
    async with database.transaction() as session:
        channel = (
            await workspace.get_channel_settings(
                session=session, team_id=team_id, channel_id=channel_id
            )
            if channel_id
            else None
        )
        if channel is not None and channel.language and channel_id:
            return WorkspaceLanguages(None, {channel_id: channel.language}).of(channel_id)
        row = await workspace.get_workspace_settings(session=session, team_id=team_id)
    return WorkspaceLanguages(row.language if row is not None else None, {}).of(channel_id)


@dataclass(frozen=True)
class WorkspaceLanguages:
    """A workspace's language choices: its own, and each channel's that made one."""

    workspace: str | None
    channels: dict[str, str]

    def of(self, channel_id: str | None) -> str:
        """The locale people read in `channel_id` (None: outside a channel), by the rule
        `reader_locale` states."""
        chosen = self.channels.get(channel_id) if channel_id else None
        return pick_locale(chosen) if chosen else pick_locale(self.workspace)


async def workspace_languages(database: Database, team_id: str) -> WorkspaceLanguages:
    """Every language choice of the workspace and its channels, in one query."""
    channels = select(col(ChannelSettings.channel_id), col(ChannelSettings.language)).where(
        col(ChannelSettings.team_id) == team_id,
        col(ChannelSettings.language).is_not(None),
        col(ChannelSettings.language) != "",
    )
    own = select(null(), col(WorkspaceSettings.language)).where(
        col(WorkspaceSettings.team_id) == team_id
    )
    async with database.transaction() as session:
        rows = (await session.exec(union_all(channels, own))).all()  # type: ignore[call-overload]
    chosen = {str(channel): str(language) for channel, language in rows if channel is not None}
    own_rows = [language for channel, language in rows if channel is None]
    return WorkspaceLanguages(own_rows[0] if own_rows else None, chosen)


async def person_locale(database: Database, team_id: str, slack_locale: str | None) -> str:
    """The locale a person reads in their DMs and Home tab: their Slack locale when goalpulse
    speaks it (`ja-JP` does not count), else their workspace's language, else English."""
    return spoken(slack_locale) or await reader_locale(database, team_id, None)
