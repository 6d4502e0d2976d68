"""The language a channel reads: set per channel and per workspace, stored, and read back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.errors import PermissionDeniedError
from jobs.goals.channel_settings import (
    ConfigChange,
    LanguageChange,
    configure,
    effective_config,
)
from jobs.goals.language import reader_locale, workspace_languages
from jobs.goals.service import Actor
from storage.db import Database

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def _yes() -> bool:
    return True


async def _no() -> bool:
    return False


ADMIN, MEMBER = Actor("U0ADMIN", _yes), Actor("U0ANA", _no)


async def _set(
    database: Database, channel: str, locale: str | None, *, workspace: bool, actor: Actor
) -> None:
    async with database.transaction() as session:
        await configure(
            session=session,
            team_id="T1",
            channel_id=channel,
            actor=actor,
            change=ConfigChange(language=LanguageChange(locale, workspace=workspace)),
            now=NOW,
        )


async def test_channel_then_workspace_then_english(database: Database) -> None:
    """A channel's own choice wins, then the workspace's, then English; `off` clears a choice;
    another workspace's settings never apply."""
    assert await reader_locale(database, "T1", "C1") == "en"
    await _set(database, "C1", "zh-CN", workspace=False, actor=MEMBER)
    assert await reader_locale(database, "T1", "C1") == "zh-CN"
    assert await reader_locale(database, "T1", "C2") == "en"
    assert await reader_locale(database, "T2", "C1") == "en"

    await _set(database, "C1", "en", workspace=True, actor=ADMIN)
    await _set(database, "C2", "zh-CN", workspace=True, actor=ADMIN)
    assert await reader_locale(database, "T1", "C2") == "zh-CN"
    assert await reader_locale(database, "T1", None) == "zh-CN"
    assert await reader_locale(database, "T2", "C2") == "en"

    await _set(database, "C1", "en", workspace=False, actor=MEMBER)
    assert await reader_locale(database, "T1", "C1") == "en"
    await _set(database, "C1", None, workspace=False, actor=MEMBER)
    assert await reader_locale(database, "T1", "C1") == "zh-CN"
    async with database.transaction() as session:
        shown = await effective_config(
            session=session, team_id="T1", channel_id="C1", default_timezone="UTC"
        )
    assert (shown.language, shown.language_source) == ("zh-CN", "workspace")

    await _set(database, "C1", None, workspace=True, actor=ADMIN)
    assert await reader_locale(database, "T1", "C1") == "en"


async def test_only_an_admin_sets_the_workspace_language(database: Database) -> None:
    with pytest.raises(PermissionDeniedError, match="workspace's language"):
        await _set(database, "C1", "zh-CN", workspace=True, actor=MEMBER)
    assert await reader_locale(database, "T1", "C1") == "en"


@pytest.mark.parametrize(
    ("changes"),
    [
        pytest.param([], id="nothing-chosen"),
        pytest.param([("C1", "zh-CN", False)], id="one-channel"),
        pytest.param([("C1", "en", False), ("C2", "zh-CN", True)], id="channel-and-workspace"),
        pytest.param([("C1", "zh-CN", False), ("C1", None, False)], id="cleared"),
    ],
)
async def test_one_read_of_the_workspace_agrees_with_each_channel_s(
    database: Database, changes: list[tuple[str, str | None, bool]]
) -> None:
    """The workspace's languages read at once answer what `reader_locale` does, per channel."""
    for channel, locale, workspace in changes:
        await _set(database, channel, locale, workspace=workspace, actor=ADMIN)
    languages = await workspace_languages(database, "T1")
    where: list[str | None] = ["C1", "C2", "C3", None]
    for place in where:
        assert languages.of(place) == await reader_locale(database, "T1", place)
    assert (await workspace_languages(database, "T2")).of("C1") == "en"
