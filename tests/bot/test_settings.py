"""Settings that shape how goalpulse talks to Slack: the workspace-wide posting rate."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.messenger import SlackMessenger
from bot.runtime import build_engine
from bot.settings import DEFAULT_SLACK_POSTS_PER_SECOND, Settings, load_settings
from bot.slack_client import build_client
from jobs.errors import ConfigError
from jobs.metrics.catalog import load_catalog
from storage.db import Database

REQUIRED = {"slack_bot_token": "xoxb-test-token", "slack_signing_secret": "secret"}


def settings(**env: str) -> Settings:
    return load_settings(Settings, **REQUIRED, _env_file=None, **env)


def test_posts_per_second_defaults_to_slack_workspace_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GOALPULSE_SLACK_POSTS_PER_SECOND", raising=False)
    assert settings().goalpulse_slack_posts_per_second == DEFAULT_SLACK_POSTS_PER_SECOND == 50


def test_posts_per_second_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALPULSE_SLACK_POSTS_PER_SECOND", "12.5")
    assert settings().goalpulse_slack_posts_per_second == 12.5


@pytest.mark.parametrize("value", ["0", "-3", "fast", "", "inf", "nan"])
def test_a_bad_posts_per_second_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GOALPULSE_SLACK_POSTS_PER_SECOND", value)
    with pytest.raises(ConfigError) as raised:
        settings()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("GOALPULSE_SLACK_POSTS_PER_SECOND is invalid: ")
    assert "calls per second above 0 (e.g. 50)" in message


async def test_the_rate_paces_the_engine_messenger(tmp_path: Path, metrics_path: Path) -> None:
    """`goalpulse run` and `goalpulse digest` post through a messenger paced at the setting."""
    configured = settings(goalpulse_slack_posts_per_second="7")
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'gp.db'}")
    async with aiohttp.ClientSession() as http:
        engine = build_engine(
            configured,
            database=database,
            catalog=load_catalog(metrics_path),
            http=http,
            client=build_client("xoxb-test-token", session=http),
            clock=lambda: pytest.fail("not called"),
        )
        await engine.fetcher.close()
    await database.dispose()
    assert isinstance(engine.messenger, SlackMessenger)
    assert engine.messenger.workspace_pacer.per_second == 7
