"""A fake Slack (Web API and Socket Mode) on a loopback port, for tests using the real slack_sdk."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NamedTuple

from aiohttp import WSCloseCode, WSMsgType, web

from bot.constants import BOT_SCOPES

JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MSG_TEXT_MAX = 40_000
DEFAULT_TOKEN = "xoxb-test-token"
DEFAULT_APP_TOKEN = "xapp-test-token"


@dataclass
class Call:
    """One request received by the fake, with the answer it got."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float
    accepted: bool = True
    rate_limited: bool = False
    tag: str | None = None
    status: int = 200
    response: Any = None
    sim_at: Any = None  # the scenario's time when it arrived, if the fake was given a clock


class _Reply(NamedTuple):
    status: int
    payload: dict[str, Any] | str
    headers: Mapping[str, str] = {}


@dataclass
class _Bucket:
    rate: float
    tokens: float
    last: float

    def refill(self, now: float) -> float:
        """Add tokens earned since the last refill; return seconds until one token is there."""
        self.tokens = min(max(1.0, self.rate), self.tokens + (now - self.last) * self.rate)
        self.last = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def _ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def _error(error: str, **fields: Any) -> dict[str, Any]:
    return {"ok": False, "error": error, **fields}


def _too_long(obj: Any, limit: int, pointer: str) -> list[str]:
    text = obj.get("text") if isinstance(obj, dict) else None
    if isinstance(text, str) and len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}]"]
    return []


def block_errors(blocks: Any, limit: int = MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Return Slack-style error strings for Block Kit limit violations in `blocks`."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    errors = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict):
            errors.append(f"must be an object [json-pointer:{at}]")
        elif block.get("type") == "section":
            errors += _too_long(block.get("text"), 3000, f"{at}/text/text")
            fields = block.get("fields") or []
            if len(fields) > 10:
                errors.append(f"no more than 10 items allowed [json-pointer:{at}/fields]")
            for j, item in enumerate(fields):
                errors += _too_long(item, 2000, f"{at}/fields/{j}/text")
        elif block.get("type") == "header":
            errors += _too_long(block.get("text"), 150, f"{at}/text/text")
        elif block.get("type") == "context" and len(block.get("elements") or []) > 10:
            errors.append(f"no more than 10 items allowed [json-pointer:{at}/elements]")
    return errors


def message_error(body: Mapping[str, Any], *, need_text: bool = True) -> dict[str, Any] | None:
    """Return the ok:false payload Slack would give this message body, or None if it is valid."""
    text, blocks = body.get("text"), body.get("blocks")
    if blocks is not None and (errors := block_errors(blocks)):
        messages = [f"[ERROR] {e}" for e in errors]
        return _error("invalid_blocks", errors=errors, response_metadata={"messages": messages})
    if need_text and not text and not blocks and not body.get("attachments"):
        return _error("no_text")
    if isinstance(text, str) and len(text) > MSG_TEXT_MAX:
        return _error("msg_too_long")
    return None


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        data = await request.json()
        if isinstance(data, dict):
            params.update(data)
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            params[key] = value.file.read() if isinstance(value, web.FileField) else value
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    return params


class FakeSlack:
    """Fake Slack Web API server that records calls and answers like Slack."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        app_id: str = "A0001",
        team_id: str = "T0001",
        bot_user_id: str = "UBOT",
        bot_id: str = "B0001",
        scopes: Iterable[str] = BOT_SCOPES,
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.app_id = app_id
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.scopes = sorted(scopes)  # granted to the token; auth.test sends them in x-oauth-scopes
        self.calls: list[Call] = []
        # When set, each call records the scenario's time it arrived (Call.sim_at).
        self.clock: Callable[[], Any] | None = None
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._changed = asyncio.Event()
        self._ts_seq, self._id_seq = itertools.count(1), itertools.count(1)
        self._dms: dict[str, str] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, deque[tuple[_Reply, Callable[[dict[str, Any]], bool] | None]]] = {}
        self._stalls: dict[str, deque[float]] = {}
        self._refusals: list[tuple[str, str, Callable[[dict[str, Any]], bool] | None]] = []
        self._chaos: tuple[float, frozenset[str], random.Random] = (
            0.0,
            frozenset(),
            random.Random(),
        )
        self._limits: tuple[float | None, float | None] = (None, None)
        self._buckets: dict[str, _Bucket] = {}
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.getPermalink": self._permalink,
            "conversations.open": self._open_dm,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start serving on 127.0.0.1 at a free port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api_route)
        app.router.add_post("/upload/{file_id}", self._upload_route)
        app.router.add_post("/response/{tag}", self._response_route)
        app.router.add_get("/socket-mode/{ticket}", self._socket_route)
        self._add_routes(app)
        self._stopping.clear()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    def _add_routes(self, app: web.Application) -> None:
        """More pages to serve (tests/support/fake_slack_oauth.py adds Slack's OAuth pages)."""

    async def stop(self) -> None:
        """Stop serving, ending any stalled answers and closing Socket Mode connections at once."""
        self._stopping.set()
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """Base URL to give AsyncWebClient(base_url=...)."""
        if not self.base_url:
            raise RuntimeError("FakeSlack is not started")
        return f"{self.base_url}/api/"

    def response_url(self, tag: str = "r1") -> str:
        """Return a response_url on this server whose posts are recorded with `tag`."""
        return f"{self.base_url}/response/{tag}"

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "ana",
        is_admin: bool = False,
        is_owner: bool = False,
        tz: str = "Europe/London",
        tz_offset: int = 0,
        real_name: str | None = None,
    ) -> dict[str, Any]:
        """Register a user that users.info will return."""
        real = real_name or name.title()
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real,
            "deleted": False,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_bot": False,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "profile": {"display_name": name, "real_name": real},
        }
        return self.users[user_id]

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        matching: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next `times` calls to `method` (those `matching`, if given) with HTTP 429
        (Retry-After) or 500."""
        if status == 429:
            reply = _Reply(429, _error("ratelimited"), {"Retry-After": str(retry_after)})
        else:
            reply = _Reply(status, _error("internal_error"))
        self._faults.setdefault(method, deque()).extend([(reply, matching)] * times)

    def chaos(self, rate: float, methods: Iterable[str], *, seed: int = 0) -> None:
        """From now on answer a share `rate` of the calls to `methods` with HTTP 500, at random
        (seeded); `rate` 0 stops it."""
        self._chaos = (rate, frozenset(methods), random.Random(seed))

    def refuse(
        self,
        method: str,
        error: str,
        *,
        matching: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """From now on, answer calls to `method` (those `matching`, if given) the way Slack
        refuses for good: HTTP 200 with `ok: false` and `error` (not_in_channel, …)."""
        self._refusals.append((method, error, matching))

    def _fault_for(self, method: str, body: dict[str, Any]) -> _Reply | None:
        rate, methods, rng = self._chaos
        if method in methods and rng.random() < rate:
            return _Reply(500, _error("internal_error"))
        for refused, error, matching in self._refusals:
            if refused == method and (matching is None or matching(body)):
                return _Reply(200, _error(error))
        faults = self._faults.get(method) or deque()
        for index, (reply, matching) in enumerate(faults):
            if matching is None or matching(body):
                del faults[index]
                return reply
        return None

    def stall(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the answer to the next `times` calls to `method` by `seconds`."""
        self._stalls.setdefault(method, deque()).extend([seconds] * times)

    def rate_limit(
        self,
        per_channel_per_second: float | None = None,
        per_workspace_per_second: float | None = None,
    ) -> None:
        """Rate-limit chat.postMessage per channel and per workspace (None disables)."""
        self._limits = (per_channel_per_second, per_workspace_per_second)
        self._buckets.clear()

    def reset(self) -> None:
        """Forget the recorded calls."""
        self.calls.clear()

    def calls_to(self, method: str) -> list[Call]:
        """Return the recorded calls to `method`, in arrival order."""
        return [c for c in self.calls if c.method == method]

    def posted_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Return accepted chat.postMessage bodies, optionally only those for `channel`."""
        return [
            c.body
            for c in self.calls_to("chat.postMessage")
            if c.accepted and channel in (None, c.body.get("channel"), c.response.get("channel"))
        ]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until at least `count` calls to `method` were recorded and return them."""
        deadline = time.monotonic() + timeout
        while len(found := self.calls_to(method)) < count:
            changed, remaining = self._changed, deadline - time.monotonic()
            try:
                await asyncio.wait_for(changed.wait(), max(remaining, 0))
            except TimeoutError:
                seen = dict(Counter(c.method for c in self.calls))
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, got {len(found)}; "
                    f"recorded: {seen}"
                ) from None
        return found

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode WebSocket connections are open now."""
        return len(self._sockets)

    async def wait_for_socket_connections(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until exactly `count` Socket Mode connections are open."""
        deadline = time.monotonic() + timeout
        while self.socket_connections != count:
            changed, remaining = self._changed, deadline - time.monotonic()
            try:
                await asyncio.wait_for(changed.wait(), max(remaining, 0))
            except TimeoutError:
                raise AssertionError(
                    f"expected {count} Socket Mode connection(s) within {timeout}s, "
                    f"have {self.socket_connections}"
                ) from None

    async def socket_send(
        self,
        type_: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Send an envelope on the newest Socket Mode connection; return the client's ack.

        Like Slack, interactive envelopes (anything but `events_api`) accept a response payload.
        """
        deadline = time.monotonic() + timeout
        if not self._sockets:
            await self.wait_for_socket_connections(1, timeout)
        envelope_id = str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = type_ != "events_api"
        envelope = {
            "envelope_id": envelope_id,
            "type": type_,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        ack = self._acks[envelope_id] = asyncio.get_running_loop().create_future()
        try:
            await self._sockets[-1].send_json(envelope)
            return await asyncio.wait_for(ack, max(deadline - time.monotonic(), 0))
        except TimeoutError:
            raise AssertionError(
                f"no ack for the {type_} envelope {envelope_id} within {timeout}s"
            ) from None
        finally:
            self._acks.pop(envelope_id, None)

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected client to reconnect, as Slack does every few hours."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack"}}
        for ws in list(self._sockets):
            await ws.send_json(message)

    async def next_call(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait until the fake records another call, or `timeout` seconds pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _serve(
        self,
        method: str,
        body: dict[str, Any],
        request: web.Request,
        answer: Callable[[Call], _Reply],
    ) -> web.StreamResponse:
        call = Call(method, body, dict(request.headers), time.monotonic())
        call.sim_at = self.clock() if self.clock is not None else None
        call.tag = request.match_info.get("tag")
        reply = self._fault_for(method, body) or answer(call)
        call.status, call.response = reply.status, reply.payload
        ok = reply.payload.get("ok") if isinstance(reply.payload, dict) else True
        call.accepted = reply.status == 200 and bool(ok)
        self.calls.append(call)
        self._notify()
        if stalls := self._stalls.get(method):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), stalls.popleft())
        if isinstance(reply.payload, str):
            return web.Response(text=reply.payload, status=reply.status, headers=reply.headers)
        return web.json_response(reply.payload, status=reply.status, headers=reply.headers)

    async def _api_route(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        body = await _read_params(request)
        return await self._serve(method, body, request, self._api_answer)

    async def _upload_route(self, request: web.Request) -> web.StreamResponse:
        if request.content_type.startswith("multipart/"):
            part = (await request.post()).get("file")
            content = part.file.read() if isinstance(part, web.FileField) else str(part).encode()
        else:
            content = await request.read()
        file_id = request.match_info["file_id"]
        body = {"file_id": file_id, "size": len(content), "content": content}

        def answer(call: Call) -> _Reply:
            if file_id not in self._files:
                return _Reply(404, "file_not_found")
            self._files[file_id]["content"] = content
            return _Reply(200, f"OK - {len(content)}")

        return await self._serve("upload", body, request, answer)

    async def _response_route(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return await self._serve(
                "response_url", {}, request, lambda c: _Reply(400, "invalid_payload")
            )
        need_text = not body.get("delete_original")
        error = message_error(body, need_text=need_text)
        reply = _Reply(400, error["error"]) if error else _Reply(200, "ok")
        return await self._serve("response_url", body, request, lambda c: reply)

    async def _socket_route(self, request: web.Request) -> web.StreamResponse:
        """A Socket Mode connection, recorded as a `socket_mode` call once it is open."""
        ticket = request.match_info["ticket"]
        call = Call("socket_mode", {"ticket": ticket}, dict(request.headers), time.monotonic())
        if ticket not in self._tickets or self._stopping.is_set():
            call.accepted, call.status, call.response = False, 401, "invalid_ticket"
            self.calls.append(call)
            self._notify()
            return web.Response(status=401, text="invalid_ticket")
        self._tickets.discard(ticket)  # a URL from apps.connections.open is good for one connection
        ws = web.WebSocketResponse()  # answers the client's pings by itself
        await ws.prepare(request)
        call.status = 101
        self._sockets.append(ws)
        self.calls.append(call)
        self._notify()
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive_ack(message.data)
        finally:
            self._sockets.remove(ws)
            self._notify()
        return ws

    def _receive_ack(self, raw: str) -> None:
        try:
            ack = json.loads(raw)
        except ValueError:
            return
        waiter = self._acks.get(ack.get("envelope_id")) if isinstance(ack, dict) else None
        if waiter is not None and not waiter.done():
            waiter.set_result(ack)

    def _api_answer(self, call: Call) -> _Reply:
        if (refused := self._auth_error(call)) is not None:
            return _Reply(200, _error(refused))
        handler = self._handlers.get(call.method)
        if handler is None:
            return _Reply(200, _error("unknown_method"))
        if call.method == "chat.postMessage" and (wait := self._throttle(call.body)):
            call.rate_limited = True
            return _Reply(429, _error("ratelimited"), {"Retry-After": str(max(1, math.ceil(wait)))})
        if call.method == "auth.test":
            return _Reply(200, handler(call.body), {"x-oauth-scopes": ",".join(self.scopes)})
        return _Reply(200, handler(call.body))

    def _auth_error(self, call: Call) -> str | None:
        """Why Slack refuses the call's token (None: it does not); one token here, one per
        workspace in tests/support/fake_slack_oauth.py."""
        auth = [v for k, v in call.headers.items() if k.lower() == "authorization"]
        token = self.app_token if call.method == "apps.connections.open" else self.token
        return None if auth == [f"Bearer {token}"] else "invalid_auth"

    def _throttle(self, body: dict[str, Any]) -> float:
        now = time.monotonic()
        keys = [f"channel:{self._channel(body.get('channel'))}", "workspace"]
        buckets = []
        for key, rate in zip(keys, self._limits, strict=True):
            if rate is not None:
                buckets.append(self._buckets.setdefault(key, _Bucket(rate, max(1.0, rate), now)))
        wait = max((b.refill(now) for b in buckets), default=0.0)
        if not wait:
            for bucket in buckets:
                bucket.tokens -= 1
        return wait

    def _channel(self, channel: Any) -> str:
        if isinstance(channel, str) and channel[:1] in ("U", "W"):
            return self._dm(channel)
        return str(channel)

    def _dm(self, users: str) -> str:
        return self._dms.setdefault(users, f"D{len(self._dms) + 1:04d}")

    def _next_ts(self) -> str:
        n = next(self._ts_seq)
        return f"{1_700_000_000 + n // 10_000}.{n % 10_000 * 100:06d}"

    def _auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return _ok(
            url="https://goalpulse-test.slack.com/",
            team="Goalpulse Test",
            user="goalpulse",
            team_id=self.team_id,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            is_enterprise_install=False,
        )

    def _connections_open(self, body: dict[str, Any]) -> dict[str, Any]:
        ticket = f"{next(self._id_seq)}"
        self._tickets.add(ticket)
        return _ok(url=f"ws{self.base_url.removeprefix('http')}/socket-mode/{ticket}")

    def _message(self, body: dict[str, Any], ts: str) -> dict[str, Any]:
        keys = ("text", "blocks", "attachments", "thread_ts", "metadata")
        extra = {k: body[k] for k in keys if body.get(k) is not None}
        base = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id}
        return {**base, "team": self.team_id, "ts": ts, "text": "", **extra}

    def _post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("channel"):
            return _error("channel_not_found")
        if error := message_error(body):
            return error
        channel, ts = self._channel(body["channel"]), self._next_ts()
        message = self.messages[(channel, ts)] = self._message(body, ts)
        return _ok(channel=channel, ts=ts, message=message)

    def _post_ephemeral(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("channel"):
            return _error("channel_not_found")
        if not body.get("user"):
            return _error("user_not_in_channel")
        return message_error(body) or _ok(message_ts=self._next_ts())

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        key = (self._channel(body.get("channel")), str(body.get("ts")))
        if key not in self.messages:
            return _error("message_not_found")
        if error := message_error(body):
            return error
        message = self.messages[key] = self._message(body, key[1])
        return _ok(channel=key[0], ts=key[1], text=message["text"], message=message)

    def _permalink(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = body.get("channel"), body.get("message_ts")
        if not channel:
            return _error("channel_not_found")
        if not ts:
            return _error("message_not_found")
        link = f"https://example.slack.com/archives/{channel}/p{str(ts).replace('.', '')}"
        return _ok(channel=channel, permalink=link)

    def _open_dm(self, body: dict[str, Any]) -> dict[str, Any]:
        users = body.get("users")
        if not users:
            return _error("users_list_not_supplied")
        return _ok(channel={"id": self._dm(",".join(sorted(str(users).split(","))))})

    def _users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(body.get("user")))
        if user and str(body.get("include_locale")).lower() not in ("1", "true"):
            user = {k: v for k, v in user.items() if k != "locale"}  # Slack's default
        return _ok(user=user) if user else _error("user_not_found")

    def _users_list(self, body: dict[str, Any]) -> dict[str, Any]:
        """Every registered user, `limit` a page; the cursor is where the next page starts."""
        cursor, limit = str(body.get("cursor") or "0"), str(body.get("limit") or "200")
        if not cursor.isdigit() or not limit.isdigit():
            return _error("invalid_cursor")
        start, size = int(cursor), max(1, int(limit))
        members = list(self.users.values())
        following = str(start + size) if start + size < len(members) else ""
        page = members[start : start + size]
        return _ok(members=page, response_metadata={"next_cursor": following})

    def _store_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._id_seq):04d}"
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "external_id": "",
            **view,
            "hash": f"1700000000.{next(self._id_seq):08d}",
        }
        self.views[view_id] = stored
        return stored

    def _view_error(self, view: Any) -> dict[str, Any] | None:
        if not isinstance(view, dict):
            return _error("invalid_arguments")
        if errors := block_errors(view.get("blocks", []), VIEW_BLOCKS, "/view/blocks"):
            return _error("invalid_arguments", response_metadata={"messages": errors})
        for block in view.get("blocks", []):  # an image of a Slack file: one uploaded here
            image = block.get("slack_file") if block.get("type") == "image" else None
            file_id = str(image.get("id")) if isinstance(image, dict) else None
            if file_id is not None and "content" not in self._files.get(file_id, {}):
                return _error("invalid_blocks", errors=[f"invalid slack_file {file_id}"])
        return None

    def _views_open(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("trigger_id"):
            return _error("invalid_arguments")
        return self._view_error(body.get("view")) or _ok(view=self._store_view(body["view"]))

    def _views_update(self, body: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = body.get("view_id"), body.get("external_id")
        if not view_id and not external_id:
            return _error("invalid_arguments")
        found = [
            v
            for v in self.views.values()
            if v["id"] == view_id or (external_id and v["external_id"] == external_id)
        ]
        if not found:
            return _error("not_found")
        if body.get("hash") and body["hash"] != found[0]["hash"]:
            return _error("hash_conflict")
        return self._view_error(body.get("view")) or _ok(
            view=self._store_view(body["view"], found[0]["id"])
        )

    def _views_publish(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("user_id"):
            return _error("invalid_arguments")
        home = f"VHOME{body['user_id']}"
        return self._view_error(body.get("view")) or _ok(view=self._store_view(body["view"], home))

    def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("filename") or not str(body.get("length", "")).isdigit():
            return _error("invalid_arguments")
        file_id = f"F{next(self._id_seq):04d}"
        self._files[file_id] = {"filename": body["filename"], "length": int(body["length"])}
        return _ok(upload_url=f"{self.base_url}/upload/{file_id}", file_id=file_id)

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        files = body.get("files")
        if not isinstance(files, list) or not files:
            return _error("invalid_arguments")
        if any("content" not in self._files.get(str(f.get("id")), {}) for f in files):
            return _error("file_not_found")
        return _ok(files=[self._file_info(f, body) for f in files])

    def _file_info(self, item: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        stored = self._files[item["id"]]
        channels = [body["channel_id"]] if body.get("channel_id") else []
        return {
            "id": item["id"],
            "name": stored["filename"],
            "title": item.get("title") or stored["filename"],
            "size": len(stored["content"]),
            "user": self.bot_user_id,
            "channels": channels,
        }
