"""Settings that shape how goalpulse talks to Slack: the workspace-wide posting rate."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.messenger import SlackMessenger
from bot.runtime import build_engine
from bot.settings import DEFAULT_SLACK_POSTS_PER_SECOND, Settings, load_settings
from bot.slack_client import build_client
from jobs.errors import ConfigError
from jobs.metrics.catalog import load_catalog
from storage.db import Database

REQUIRED = {"slack_bot_token": "xoxb-test-token", "slack_signing_secret": "secret"}


def settings(**env: str) -> Settings:
    return load_settings(Settings, **(REQUIRED | env), _env_file=None)


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


SECRET = "client-secret-never-shown-0123"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"slack_client_id": "1111.2222"},
            "SLACK_CLIENT_SECRET is not set (SLACK_CLIENT_ID is; OAuth needs both)",
            id="client-id-alone",
        ),
        pytest.param(
            {"slack_client_secret": SECRET},
            "SLACK_CLIENT_ID is not set (SLACK_CLIENT_SECRET is; OAuth needs both)",
            id="client-secret-alone",
        ),
        pytest.param(
            {"slack_client_id": "1111.2222", "slack_client_secret": SECRET},
            "SLACK_BOT_TOKEN must not be set with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET:"
            " each workspace's token comes from its installation",
            id="oauth-and-a-pasted-token",
        ),
        pytest.param(
            {"slack_bot_token": "", "slack_app_token": "xapp-1-x"}
            | {"slack_client_id": "1111.2222", "slack_client_secret": SECRET},
            "SLACK_APP_TOKEN must not be set with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET:"
            " installing through OAuth needs the HTTP endpoints",
            id="oauth-and-socket-mode",
        ),
        pytest.param({"slack_bot_token": ""}, "SLACK_BOT_TOKEN is not set", id="no-way-to-slack"),
        pytest.param(
            {"slack_bot_token": "", "slack_client_id": "1", "slack_client_secret": SECRET}
            | {"slack_oauth_authorize_url": "slack.com/oauth"},
            "SLACK_OAUTH_AUTHORIZE_URL is invalid: must start with http:// or https://",
            id="authorize-url-not-http",
        ),
    ],
)
def test_slack_credentials_are_one_token_or_oauth(env: dict[str, str], message: str) -> None:
    """Either SLACK_BOT_TOKEN or both OAuth credentials; anything else is one clear line that
    never repeats the secret."""
    with pytest.raises(ConfigError) as raised:
        settings(**env)
    assert str(raised.value) == message
    assert SECRET not in str(raised.value)


def test_oauth_needs_no_bot_token() -> None:
    configured = settings(slack_bot_token="", slack_client_id="1", slack_client_secret=SECRET)
    assert configured.oauth
    assert configured.slack_bot_token is None
    assert configured.slack_oauth_authorize_url == "https://slack.com/oauth/v2/authorize"


def test_one_oauth_credential_stops_goalpulse_run_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name, value in {"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_SECRET": SECRET}.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "goalpulse: SLACK_CLIENT_ID is not set (SLACK_CLIENT_SECRET is; OAuth needs both)\n"
    )
