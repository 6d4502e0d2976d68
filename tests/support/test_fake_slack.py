"""Tests for the fake Slack Web API, driven by the real slack_sdk clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.support.fake_slack import FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A started fake Slack."""
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    """A real slack_sdk client pointed at the fake."""
    return AsyncWebClient(token=slack.token, base_url=slack.api_url)


def section(text: str) -> dict[str, Any]:
    """A section block with mrkdwn text."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize("token", ["xoxb-wrong", None], ids=["wrong", "missing"])
async def test_bad_token_is_rejected_and_recorded(slack: FakeSlack, token: str | None) -> None:
    """A wrong or missing bot token gets invalid_auth and is recorded as not accepted."""
    bad = AsyncWebClient(token=token, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as err:
        await bad.chat_postMessage(channel="C1", text="hi")
    assert err.value.response["error"] == "invalid_auth"
    [call] = slack.calls_to("chat.postMessage")
    assert not call.accepted
    assert slack.posted_messages() == []


async def test_auth_test_reports_bot_identity(client: AsyncWebClient) -> None:
    """auth.test answers with the team and bot user ids."""
    res = await client.auth_test()
    assert (res["team_id"], res["user_id"], res["bot_id"]) == ("T0001", "UBOT", "B0001")


async def test_post_then_update_roundtrip(slack: FakeSlack, client: AsyncWebClient) -> None:
    """A posted message gets increasing ts values and can then be updated."""
    first = await client.chat_postMessage(channel="C1", text="one", blocks=[section("*one*")])
    second = await client.chat_postMessage(channel="C1", text="two", thread_ts=first["ts"])
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == [section("*one*")]
    updated = await client.chat_update(channel="C1", ts=first["ts"], text="uno")
    assert (updated["channel"], updated["ts"], updated["text"]) == ("C1", first["ts"], "uno")
    assert slack.messages[("C1", first["ts"])]["text"] == "uno"
    assert [m["text"] for m in slack.posted_messages("C1")] == ["one", "two"]
    assert slack.calls_to("chat.postMessage")[1].body["thread_ts"] == first["ts"]


async def test_post_ephemeral_returns_message_ts(slack: FakeSlack, client: AsyncWebClient) -> None:
    """chat.postEphemeral answers with a message_ts and is not a posted message."""
    res = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert res["message_ts"]
    assert slack.calls_to("chat.postEphemeral")[0].body["user"] == "U1"
    assert slack.posted_messages() == []


@pytest.mark.parametrize(
    ("method", "kwargs", "error"),
    [
        ("chat.update", {"channel": "C1", "ts": "1.2", "text": "x"}, "message_not_found"),
        ("users.info", {"user": "UNOBODY"}, "user_not_found"),
        ("chat.postMessage", {"channel": "C1"}, "no_text"),
        ("views.update", {"view_id": "VNONE", "view": {"type": "modal"}}, "not_found"),
        ("files.completeUploadExternal", {"files": [{"id": "F9"}]}, "file_not_found"),
        ("chat.scheduleMessage", {"channel": "C1", "text": "x", "post_at": 1}, "unknown_method"),
    ],
    ids=["update-unknown-ts", "unknown-user", "no-text", "unknown-view", "no-file", "unknown"],
)
async def test_api_errors(
    slack: FakeSlack, client: AsyncWebClient, method: str, kwargs: dict[str, Any], error: str
) -> None:
    """Invalid calls get Slack's ok:false error and are recorded as not accepted."""
    with pytest.raises(SlackApiError) as err:
        await client.api_call(method, json=kwargs)
    assert err.value.response["error"] == error
    assert [c.accepted for c in slack.calls_to(method)] == [False]


async def test_users_info_returns_registered_user(slack: FakeSlack, client: AsyncWebClient) -> None:
    """users.info answers with the user registered through add_user."""
    slack.add_user("U1", name="bo", is_admin=True, tz="Europe/Paris", tz_offset=3600)
    user = (await client.users_info(user="U1"))["user"]
    assert (user["id"], user["name"], user["is_admin"], user["is_owner"]) == (
        "U1",
        "bo",
        True,
        False,
    )
    assert (user["tz"], user["tz_offset"], user["profile"]["display_name"]) == (
        "Europe/Paris",
        3600,
        "bo",
    )


async def test_conversations_open_is_stable_per_user(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """conversations.open gives each user one stable DM channel, also used when posting to them."""
    a1 = (await client.conversations_open(users="U1"))["channel"]["id"]
    b = (await client.conversations_open(users="U2"))["channel"]["id"]
    a2 = (await client.conversations_open(users=["U1"]))["channel"]["id"]
    assert a1 == a2 != b
    assert a1.startswith("D")
    posted = await client.chat_postMessage(channel="U1", text="psst")
    assert posted["channel"] == a1
    assert len(slack.posted_messages(a1)) == 1


async def test_views_open_then_update(slack: FakeSlack, client: AsyncWebClient) -> None:
    """views.open returns the view with an id and hash, and views.update replaces it."""
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Goal"}, "blocks": []}
    opened = (await client.views_open(trigger_id="123.456", view=modal))["view"]
    assert opened["id"].startswith("V")
    assert opened["hash"]
    assert opened["title"] == modal["title"]
    assert slack.calls_to("views.open")[0].body["view"] == modal
    changed = {**modal, "blocks": [section("hi")]}
    updated = await client.views_update(view_id=opened["id"], view=changed, hash=opened["hash"])
    assert updated["view"]["id"] == opened["id"]
    assert updated["view"]["blocks"] == [section("hi")]


async def test_views_open_allows_100_blocks_not_101(client: AsyncWebClient) -> None:
    """Views take up to 100 blocks."""
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t"}}
    await client.views_open(trigger_id="t", view={**view, "blocks": [section("x")] * 100})
    with pytest.raises(SlackApiError):
        await client.views_open(trigger_id="t", view={**view, "blocks": [section("x")] * 101})


async def test_files_upload_v2_two_step_flow(slack: FakeSlack, client: AsyncWebClient) -> None:
    """files_upload_v2 gets an upload URL, uploads the bytes and completes into the thread."""
    res = await client.files_upload_v2(
        channel="C1", content=b"\x89PNG-data", filename="chart.png", title="Chart", thread_ts="1.2"
    )
    assert (res["file"]["title"], res["file"]["size"]) == ("Chart", 9)
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert slack.calls[0].body["filename"] == "chart.png"
    assert slack.calls[1].body == {
        "file_id": res["file"]["id"],
        "size": 9,
        "content": b"\x89PNG-data",
    }
    complete = slack.calls[2].body
    assert complete["files"] == [{"id": res["file"]["id"], "title": "Chart"}]
    assert (complete["channel_id"], complete["thread_ts"]) == ("C1", "1.2")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"blocks": [section("x")] * 51}, "no more than 50 items allowed [json-pointer:/blocks]"),
        ({"blocks": [section("x" * 3001)]}, "must be less than 3001 characters"),
        (
            {"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}]},
            "must be less than 2001 characters",
        ),
        (
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]},
            "must be less than 151 characters",
        ),
        (
            {"blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}]},
            "no more than 10 items allowed",
        ),
    ],
    ids=["51-blocks", "3001-char-section", "2001-char-field", "151-char-header", "11-context"],
)
async def test_block_limits_rejected(
    slack: FakeSlack, client: AsyncWebClient, kwargs: dict[str, Any], error: str
) -> None:
    """Messages over Block Kit limits get invalid_blocks naming the violation."""
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="t", **kwargs)
    assert err.value.response["error"] == "invalid_blocks"
    assert any(error in e for e in err.value.response["errors"])
    assert slack.posted_messages() == []


async def test_limits_at_the_edge_are_accepted(client: AsyncWebClient) -> None:
    """Exactly 50 blocks and a 3000-char section are accepted."""
    response = await client.chat_postMessage(
        channel="C1", text="t", blocks=[section("x" * 3000)] * 50
    )
    assert response["ok"]


async def test_too_long_text_rejected(client: AsyncWebClient) -> None:
    """Text over 40000 characters gets msg_too_long."""
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert err.value.response["error"] == "msg_too_long"


@pytest.mark.parametrize(
    ("payload", "status", "body"),
    [
        ({"text": "done", "replace_original": True}, 200, "ok"),
        ({"text": "t", "blocks": [section("x")] * 51}, 400, "invalid_blocks"),
        ({"response_type": "ephemeral"}, 400, "no_text"),
    ],
    ids=["ok", "too-many-blocks", "no-text"],
)
async def test_response_url_posts(
    slack: FakeSlack, payload: dict[str, Any], status: int, body: str
) -> None:
    """Posts to a response_url are recorded with their tag and checked for Block Kit limits."""
    res = await AsyncWebhookClient(slack.response_url("cmd-7")).send_dict(payload)
    assert (res.status_code, res.body) == (status, body)
    [call] = await slack.wait_for("response_url")
    assert (call.tag, call.body, call.accepted) == ("cmd-7", payload, status == 200)


async def test_429_is_retried_after_retry_after(slack: FakeSlack) -> None:
    """A 429 with Retry-After is retried by slack_sdk's handler and then succeeds."""
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    client = AsyncWebClient(
        token=slack.token,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    res = await client.chat_postMessage(channel="C1", text="hi")
    assert res["ok"]
    limited, success = slack.calls_to("chat.postMessage")
    assert (limited.status, limited.accepted, success.accepted) == (429, False, True)
    assert success.at - limited.at >= 1.0
    assert len(slack.posted_messages()) == 1


async def test_500_answer_raises(slack: FakeSlack, client: AsyncWebClient) -> None:
    """An injected 500 makes the client raise, and the next call succeeds."""
    slack.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="hi")
    assert err.value.response.status_code == 500
    await client.chat_postMessage(channel="C1", text="again")
    assert [c.accepted for c in slack.calls_to("chat.postMessage")] == [False, True]


async def test_stall_exceeding_client_timeout_errors(slack: FakeSlack) -> None:
    """A stalled answer longer than the client timeout makes the call fail."""
    slack.stall("chat.postMessage", 3)
    client = AsyncWebClient(token=slack.token, base_url=slack.api_url, timeout=1)
    with pytest.raises(asyncio.TimeoutError):
        await client.chat_postMessage(channel="C1", text="slow")
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_rate_limit_per_channel(slack: FakeSlack, client: AsyncWebClient) -> None:
    """Posting faster than the per-channel rate gets 429 with Retry-After, other channels pass."""
    slack.rate_limit(per_channel_per_second=1)
    await client.chat_postMessage(channel="C1", text="a")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="b")
    assert err.value.response.status_code == 429
    assert int(err.value.response.headers["Retry-After"]) >= 1
    await client.chat_postMessage(channel="C2", text="c")
    assert [c.rate_limited for c in slack.calls_to("chat.postMessage")] == [False, True, False]


async def test_wait_for_times_out_with_recorded_methods(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """wait_for raises AssertionError listing what was recorded when calls do not arrive."""
    await client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*auth\.test"):
        await slack.wait_for("chat.postMessage", timeout=0.05)


async def test_wait_for_sees_later_calls_and_reset_clears(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """wait_for returns once enough calls arrive, and reset forgets them."""
    waiter = asyncio.create_task(slack.wait_for("chat.postMessage", count=2))
    await client.chat_postMessage(channel="C1", text="a")
    await client.chat_postMessage(channel="C1", text="b")
    assert [c.body["text"] for c in await waiter] == ["a", "b"]
    slack.reset()
    assert slack.calls == []


@pytest.fixture
async def socket_client(slack: FakeSlack) -> AsyncIterator[SocketModeClient]:
    """slack_sdk's real aiohttp Socket Mode client, not yet connected; it echoes each payload."""
    socket_client = SocketModeClient(
        app_token=slack.app_token, web_client=AsyncWebClient(base_url=slack.api_url)
    )

    async def echo(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        payload = {"text": f"{request.type}: {request.payload.get('text')}"}
        await client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload))

    socket_client.socket_mode_request_listeners.append(echo)
    yield socket_client
    await socket_client.close()
    await slack.wait_for_socket_connections(0)


async def test_socket_mode_client_connects_and_acks(
    slack: FakeSlack, socket_client: SocketModeClient
) -> None:
    """The Socket Mode client opens a connection with the app token and its acks come back."""
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def record(_: AsyncBaseSocketModeClient, message: dict[str, Any], __: Any) -> None:
        await received.put(message)

    socket_client.message_listeners.append(record)
    await socket_client.connect()
    await slack.wait_for_socket_connections(1)
    [opened] = slack.calls_to("apps.connections.open")
    assert opened.accepted
    assert opened.headers["Authorization"] == "Bearer xapp-test-token"
    assert opened.response["url"] == f"{slack.base_url.replace('http', 'ws')}/socket-mode/1"
    [connected] = slack.calls_to("socket_mode")
    assert (connected.body, connected.status, connected.accepted) == ({"ticket": "1"}, 101, True)
    hello = await asyncio.wait_for(received.get(), 5)
    assert (hello["type"], hello["connection_info"]["app_id"]) == ("hello", "A0001")
    ack = await slack.socket_send("slash_commands", {"command": "/goal", "text": "help"})
    assert ack == {"envelope_id": ack["envelope_id"], "payload": {"text": "slash_commands: help"}}
    envelope = await asyncio.wait_for(received.get(), 5)
    assert (envelope["envelope_id"], envelope["accepts_response_payload"]) == (
        ack["envelope_id"],
        True,
    )
    await slack.socket_send("events_api", {"text": "event"})
    assert (await asyncio.wait_for(received.get(), 5))["accepts_response_payload"] is False


async def test_socket_mode_disconnect_makes_the_client_reconnect(
    slack: FakeSlack, socket_client: SocketModeClient
) -> None:
    """A `disconnect` message makes the client open a new URL and connection, which then works."""
    await socket_client.connect()
    first = socket_client.current_session
    await slack.wait_for("socket_mode")
    await slack.socket_disconnect()
    await slack.wait_for("socket_mode", count=2)
    await slack.wait_for_socket_connections(1)
    assert len(slack.calls_to("apps.connections.open")) == 2
    assert first is not None
    assert first.closed
    ack = await slack.socket_send("slash_commands", {"text": "again"})
    assert ack["payload"] == {"text": "slash_commands: again"}


async def test_socket_mode_rejects_bad_tokens_and_tickets(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """apps.connections.open needs the app token; each URL it gives is good for one connection."""
    with pytest.raises(SlackApiError) as err:
        await client.apps_connections_open(app_token=slack.token)
    assert err.value.response["error"] == "invalid_auth"
    url = (await client.apps_connections_open(app_token=slack.app_token))["url"]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            assert (await ws.receive_json())["type"] == "hello"
            with pytest.raises(aiohttp.WSServerHandshakeError) as handshake:
                await session.ws_connect(url)
            assert handshake.value.status == 401
        await slack.wait_for_socket_connections(0)
    assert [(c.status, c.accepted) for c in slack.calls_to("socket_mode")] == [
        (101, True),
        (401, False),
    ]


async def test_stop_closes_socket_mode_connections(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    """stop() closes open Socket Mode connections with `going away` instead of dropping them."""
    url = (await client.apps_connections_open(app_token=slack.app_token))["url"]
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_json()
        stopping = asyncio.create_task(slack.stop())
        closing = await ws.receive()
        assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1001)
        await stopping
    assert slack.socket_connections == 0


async def test_socket_send_without_a_connection_fails_clearly(slack: FakeSlack) -> None:
    """socket_send raises AssertionError when no client is connected."""
    with pytest.raises(AssertionError, match="Socket Mode connection"):
        await slack.socket_send("slash_commands", {}, timeout=0.05)
