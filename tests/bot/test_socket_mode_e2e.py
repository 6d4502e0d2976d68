"""`goalpulse run` in Socket Mode: the real bot connects to the fake Slack and answers envelopes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import RunningBot, open_socket_mode_url, start_bot
from bot.settings import Settings
from jobs.errors import ConfigError
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.conversation import reply_text, stored_goals
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

# Any warning (an unclosed session, a task destroyed while pending) fails these tests.
pytestmark = pytest.mark.filterwarnings("error")


def make_settings(
    database_url: str, api_url: str, metrics_path: Path, *, app_token: str
) -> Settings:
    """Like the `bot_settings` fixture, plus an app-level token, which means Socket Mode."""
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=database_url,
        goalpulse_metrics=metrics_path,
        goalpulse_timezone="Europe/Berlin",
        port=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def socket_settings(database_url: str, fake_slack: FakeSlack, metrics_path: Path) -> Settings:
    """Settings with SLACK_APP_TOKEN set to the fake Slack's app token."""
    return make_settings(
        database_url, fake_slack.api_url, metrics_path, app_token=fake_slack.app_token
    )


@pytest.fixture
async def socket_bot(socket_settings: Settings) -> AsyncIterator[RunningBot]:
    """The real bot, started as `goalpulse run` starts it, in Socket Mode."""
    running = await start_bot(socket_settings, host="127.0.0.1")
    yield running
    await running.stop()


@pytest.fixture
def commands(fake_slack: FakeSlack) -> SignedSlack:
    """Builds `/goal` payloads; Socket Mode carries the same fields as JSON, unsigned."""
    return SignedSlack(
        bot_url="unused", signing_secret=SIGNING_SECRET, response_url=fake_slack.response_url
    )


async def goal(
    fake_slack: FakeSlack, commands: SignedSlack, text: str
) -> tuple[dict[str, Any], str]:
    """Send `/goal <text>` as a slash_commands envelope; return the bot's ack and the reply tag."""
    body, tag = commands.command_body(text)
    ack = await fake_slack.socket_send("slash_commands", dict(parse_qsl(body)))
    return ack, tag


def other_tasks() -> list[asyncio.Task[Any]]:
    """Tasks still running besides the test itself."""
    current = asyncio.current_task()
    return [task for task in asyncio.all_tasks() if task is not current and not task.done()]


async def test_connects_with_the_app_token_and_no_http_port(
    socket_bot: RunningBot, fake_slack: FakeSlack
) -> None:
    """With SLACK_APP_TOKEN set the bot opens one Socket Mode connection and listens on no port."""
    assert (socket_bot.port, socket_bot.runner) == (None, None)
    assert socket_bot.socket_mode is not None
    [opened] = fake_slack.calls_to("apps.connections.open")
    assert opened.accepted
    assert opened.headers["Authorization"] == f"Bearer {fake_slack.app_token}"
    assert [c.accepted for c in fake_slack.calls_to("socket_mode")] == [True]
    assert fake_slack.socket_connections == 1


async def test_help_is_answered_in_the_ack(
    socket_bot: RunningBot, fake_slack: FakeSlack, commands: SignedSlack
) -> None:
    """`/goal help` comes back in the envelope's ack as an ephemeral message."""
    ack, _ = await goal(fake_slack, commands, "help")
    assert ack["payload"]["response_type"] == "ephemeral"
    body = reply_text(ack["payload"])
    assert "/goal set &lt;metric&gt; &lt;target&gt;" in body
    assert "`dau`" in body
    assert fake_slack.calls_to("response_url") == []


async def test_set_acks_empty_stores_the_goal_and_replies_via_response_url(
    socket_bot: RunningBot, fake_slack: FakeSlack, commands: SignedSlack
) -> None:
    """`/goal set` is acked with no payload, stored, and confirmed through the response_url."""
    ack, tag = await goal(fake_slack, commands, "set dau 150k owner <@U0ANA|ana>")
    assert ack == {"envelope_id": ack["envelope_id"]}
    [reply] = await fake_slack.wait_for("response_url")
    assert (reply.tag, reply.accepted, reply.body["response_type"]) == (tag, True, "ephemeral")
    assert "Created the goal *Daily active users*" in reply_text(reply.body)
    [stored] = await stored_goals(socket_bot)
    assert (stored.metric_key, stored.target, stored.owner_id) == ("dau", 150000, "U0ANA")


async def test_malformed_command_gets_the_error_in_the_ack(
    socket_bot: RunningBot, fake_slack: FakeSlack, commands: SignedSlack
) -> None:
    """A malformed `/goal set` is answered in the ack with an ephemeral error; nothing is stored."""
    ack, _ = await goal(fake_slack, commands, "set dau lots")
    assert ack["payload"]["response_type"] == "ephemeral"
    text = reply_text(ack["payload"])
    assert "`lots` is not a number" in text
    assert "Try: `/goal set dau 150k" in text
    assert await stored_goals(socket_bot) == []
    assert fake_slack.calls_to("response_url") == []


async def test_reconnects_when_slack_asks_to_refresh(
    socket_bot: RunningBot, fake_slack: FakeSlack, commands: SignedSlack
) -> None:
    """After Slack's `disconnect` (refresh_requested) the bot reconnects and keeps answering."""
    await fake_slack.socket_disconnect()
    await fake_slack.wait_for("socket_mode", count=2)
    await fake_slack.wait_for_socket_connections(1)
    assert len(fake_slack.calls_to("apps.connections.open")) == 2
    ack, _ = await goal(fake_slack, commands, "help")
    assert ack["payload"]["response_type"] == "ephemeral"


async def test_stop_finishes_acked_work_and_leaves_nothing_running(
    socket_settings: Settings, fake_slack: FakeSlack, commands: SignedSlack
) -> None:
    """stop() sends replies already acked, then closes the connection, its tasks and sessions."""
    running = await start_bot(socket_settings, host="127.0.0.1")
    assert running.socket_mode is not None
    socket = running.socket_mode.client
    ack, tag = await goal(fake_slack, commands, "set dau 150k")
    assert "payload" not in ack
    await running.stop()
    # The goal saved, then its first pull of dau (tests/support/dau.csv): both are acked work.
    assert [call.tag for call in fake_slack.calls_to("response_url")] == [tag, tag]
    assert socket.closed
    assert socket.current_session is not None
    assert socket.current_session.closed
    assert socket.aiohttp_client_session.closed
    await fake_slack.wait_for_socket_connections(0)
    assert other_tasks() == []
    assert len(fake_slack.calls_to("apps.connections.open")) == 1


async def test_refused_app_token_stops_start_up_with_one_line(
    database_url: str, fake_slack: FakeSlack, metrics_path: Path
) -> None:
    """An app token Slack refuses stops start-up with one clear line instead of retrying forever."""
    settings = make_settings(
        database_url, fake_slack.api_url, metrics_path, app_token="xapp-revoked"
    )
    with pytest.raises(ConfigError) as err:
        await asyncio.wait_for(start_bot(settings, host="127.0.0.1"), 5)
    assert str(err.value) == "SLACK_APP_TOKEN is invalid: Slack answered invalid_auth"
    assert fake_slack.calls_to("socket_mode") == []
    assert other_tasks() == []


@pytest.mark.parametrize("failure", ["unreachable", "http-500"])
async def test_no_socket_mode_url_is_one_line(fake_slack: FakeSlack, failure: str) -> None:
    """No Slack at SLACK_API_URL, or a Slack answering 5xx, is a one-line ConfigError too."""
    api_url = fake_slack.api_url
    if failure == "unreachable":
        await fake_slack.stop()
        expected = f"SLACK_API_URL {api_url}: cannot reach Slack (Cannot connect to host"
    else:
        fake_slack.fail_next("apps.connections.open", status=500)
        expected = f"SLACK_API_URL {api_url}: Slack answered HTTP 500 (internal_error)"
    client = AsyncWebClient(base_url=api_url, retry_handlers=[])  # no retries: fail at once
    with pytest.raises(ConfigError) as err:
        await open_socket_mode_url(client, fake_slack.app_token)
    assert str(err.value).startswith(expected)
    assert "\n" not in str(err.value)
