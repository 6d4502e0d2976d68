"""Log lines: JSON for collectors (with the outbox row or Slack request they belong to), text
for people, and never a token, secret or URL password in either."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog

from bot.logging_setup import configure_logging, hide_secrets, redact, redact_event
from bot.runtime import RunningBot
from bot.settings import LoggingSettings, Settings, load_settings
from jobs.errors import ConfigError
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack
from tests.support.world import World, at

START = at(2026, 11, 25, 9)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("posting with xoxb-1234-5678-AbCd", "posting with xoxb-***", id="bot-token"),
        pytest.param("user token xoxp-1-2-3-abc", "user token xoxp-***", id="user-token"),
        pytest.param("xoxa-2-abc and xoxr-9-def", "xoxa-*** and xoxr-***", id="app-refresh"),
        pytest.param("refresh=xoxe.xoxp-1-abc", "refresh=xoxe.xoxp-***", id="rotated-token"),
        pytest.param("cookie_xoxd-abc%2F", "cookie_xoxd-***%2F", id="inside-a-word"),
        pytest.param("SLACK_APP_TOKEN=xapp-1-A0-123-ff", "SLACK_APP_TOKEN=***", id="app-token"),
        pytest.param("Authorization: Bearer abc.def", "Authorization: Bearer ***", id="bearer"),
        pytest.param(
            "postgresql+asyncpg://gp:hunter2@db:5432/goals",
            "postgresql+asyncpg://gp:***@db:5432/goals",
            id="database-url",
        ),
        pytest.param(
            "GET https://bi:s3cr3t@bi.example/api?day=1 failed",
            "GET https://bi:***@bi.example/api?day=1 failed",
            id="http-url",
        ),
        pytest.param(
            "slack_signing_secret='0123456789abcdef'",
            "slack_signing_secret='***'",
            id="signing-secret-repr",
        ),
        pytest.param('{"password": "s3cret!"}', '{"password": "***"}', id="json-password"),
        pytest.param("api_key: k3y;", "api_key: ***;", id="api-key"),
        pytest.param(
            "signature mismatch for 5ca1ab1e5ca1ab1e5ca1ab1e",
            "signature mismatch for ***",
            id="known-secret",
        ),
        pytest.param("token_revoked (C0GROWTH)", "token_revoked (C0GROWTH)", id="error-code"),
        pytest.param(
            "ping:T0001:7:U0LI will retry: ratelimited",
            "ping:T0001:7:U0LI will retry: ratelimited",
            id="run-key",
        ),
        pytest.param("http://127.0.0.1:9/api/", "http://127.0.0.1:9/api/", id="url-port"),
    ],
)
def test_redact(line: str, expected: str) -> None:
    hide_secrets("5ca1ab1e5ca1ab1e5ca1ab1e")
    assert redact(line) == expected


def test_redact_event_reaches_every_field() -> None:
    """Nested dicts and lists, and secret-named fields whatever their value looks like."""
    event = {
        "event": "calling with xoxb-1-2",
        "headers": {"Authorization": "Bearer abc", "Accept": "application/json"},
        "signing_secret": "plain words",
        "urls": ["sqlite:///gp.db", "https://a:b@h/x"],
        "attempts": 3,
        "_record": "left alone",
    }
    assert redact_event(None, "info", event) == {
        "event": "calling with xoxb-***",
        "headers": {"Authorization": "***", "Accept": "application/json"},
        "signing_secret": "***",
        "urls": ["sqlite:///gp.db", "https://a:***@h/x"],
        "attempts": 3,
        "_record": "left alone",
    }


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Whatever configure_logging's handler writes; the logging setup is restored after."""
    output = io.StringIO()
    loggers = [logging.getLogger(name) for name in ("", "goalpulse", "slack_sdk")]
    levels = [logger.level for logger in loggers]
    yield output
    root = loggers[0]
    for handler in [h for h in root.handlers if getattr(h, "_goalpulse_handler", False)]:
        root.removeHandler(handler)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    structlog.reset_defaults()


def lines(output: io.StringIO) -> list[dict[str, Any]]:
    """Every line as JSON (each one must be)."""
    return [json.loads(line) for line in output.getvalue().splitlines()]


def test_stdlib_and_library_lines_are_json_objects(log_output: io.StringIO) -> None:
    configure_logging("json", stream=log_output)
    log = logging.getLogger("goalpulse.test")
    log.info("posting to %s with %s", "C0GROWTH", "xoxb-1-2-3", extra={"dsn": "pg://u:pw@h/d"})
    try:
        raise RuntimeError("boom with xapp-1-2")
    except RuntimeError:
        log.exception("it failed")
    logging.getLogger("aiohttp.client").warning("from a library")
    logging.getLogger("aiohttp.client").info("below the libraries' level")
    structlog.get_logger("goalpulse.native").warning("native", token="xoxp-9")

    posted, failed, library, native = lines(log_output)
    assert set(posted) >= {"timestamp", "level", "logger", "event"}
    assert "message" not in posted, "the event is not repeated"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", posted["timestamp"])
    assert (posted["level"], posted["logger"]) == ("info", "goalpulse.test")
    assert posted["event"] == "posting to C0GROWTH with xoxb-***"
    assert posted["dsn"] == "pg://u:***@h/d"
    assert (failed["level"], failed["event"]) == ("error", "it failed")
    assert "RuntimeError: boom with xapp-***" in failed["exception"]
    assert (library["logger"], library["level"]) == ("aiohttp.client", "warning")
    assert (native["logger"], native["event"], native["token"]) == (
        "goalpulse.native",
        "native",
        "***",
    )


def test_text_lines_stay_as_they_were(log_output: io.StringIO) -> None:
    configure_logging("text", stream=log_output)
    logging.getLogger("goalpulse.test").warning("database %s", "postgresql://gp:pw@db/x")
    [line] = log_output.getvalue().splitlines()
    pattern = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING goalpulse\.test: database (.*)"
    match = re.fullmatch(pattern, line)
    assert match
    assert match.group(1) == "postgresql://gp:***@db/x"


@pytest.mark.parametrize("value", ["json", "text", "JSON"])
def test_log_format_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("GOALPULSE_LOG_FORMAT", value)
    assert load_settings(LoggingSettings, _env_file=None).goalpulse_log_format == value.lower()


def test_a_bad_log_format_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALPULSE_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError) as raised:
        load_settings(LoggingSettings, _env_file=None)
    assert str(raised.value) == "GOALPULSE_LOG_FORMAT is invalid: must be json or text, not 'xml'"


@pytest.fixture
async def world(
    bot_settings: Settings, fake_slack: FakeSlack, log_output: io.StringIO
) -> AsyncIterator[World]:
    """JSON logs with slack_sdk's own debug lines; a goal of 500 whose lead is Li."""
    configure_logging("json", stream=log_output)
    logging.getLogger("slack_sdk").setLevel(logging.DEBUG)
    world = World(bot_settings, fake_slack, SettableClock(START), SIGNING_SECRET)
    await world.start()
    await world.seed_points("aov", 500, days=10, until=START.date())
    await world.say("set aov 500")
    await world.say("config lead <@U0LI|li>")
    yield world
    await world.stop()
    await world.database.dispose()


async def test_lines_logged_while_a_dm_is_sent_carry_its_run_key(
    world: World, log_output: io.StringIO
) -> None:
    """Li's timezone cannot be looked up while her escalation DM goes out: that line, and
    slack_sdk's lines about the DM's calls, name the outbox row; no line holds a secret."""
    world.slack.refuse("users.info", "user_not_found")
    await world.say("checkin aov 395")  # orange: the outbox DMs the lead
    await world.settle()
    assert len(world.dms("U0LI")) == 1
    [ping] = [r for r in await world.outbox() if r.recipient_id == "U0LI" and r.state == "sent"]

    logged = lines(log_output)
    [lookup] = [line for line in logged if line["event"].startswith("no timezone for U0LI")]
    assert (lookup["logger"], lookup["level"]) == ("goalpulse.slack", "info")
    assert (lookup["run_key"], lookup["kind"]) == (ping.run_key, ping.kind)
    sdk = [line for line in logged if line["logger"].startswith("slack_sdk")]
    assert any(
        line.get("run_key") == ping.run_key and "conversations.open" in line["event"]
        for line in sdk
    )
    text = log_output.getvalue()
    assert BOT_TOKEN not in text
    assert SIGNING_SECRET not in text


async def test_lines_logged_while_a_slack_request_is_handled_name_it(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack, log_output: io.StringIO
) -> None:
    """`/goal set` opens the form: slack_sdk's lines about views.open name the request."""
    configure_logging("json", stream=log_output)
    logging.getLogger("slack_sdk").setLevel(logging.DEBUG)
    status, _, _ = await slack.command("set", user="U0LI")
    assert status == 200
    await fake_slack.wait_for("views.open")
    opened = [
        line
        for line in lines(log_output)
        if line["logger"].startswith("slack_sdk") and "views.open" in line["event"]
    ]
    assert opened
    for line in opened:
        assert (line["request_type"], line["team"], line["user"]) == (
            "slash_command",
            "T0001",
            "U0LI",
        )
    assert BOT_TOKEN not in log_output.getvalue()
