"""slack_sdk's AsyncWebClient as goalpulse uses it: one timed session, retries only where a
repeat is safe, and every Web API call counted and timed for /metrics.

Every method (chat_postMessage, users_list, …) goes through `api_call`, so overriding it sees
them all; a call's time includes the retries slack_sdk makes in place. Bolt builds a fresh
plain client for each request it handles, so `instrument_listeners` swaps in a counted copy.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.settings import DEFAULT_API_URL

if TYPE_CHECKING:
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_bolt.response import BoltResponse

    from bot.telemetry import Telemetry

# Every Slack call gives up after this long. slack_sdk applies its own `timeout` only to sessions
# it creates, so the shared session carries it (see slack_session); the outbox's send timeout
# and lease are longer still (jobs/outbox/sender.py).
SLACK_TIMEOUT_SECONDS = 10
# A 429 is retried in place only when Slack asks for at most this long; a longer wait goes back
# to the caller (the outbox reschedules the row) instead of sleeping inside a claimed send.
MAX_RATE_LIMIT_WAIT_SECONDS = 5.0
# Calls that create something: resending one after a 5xx or a dropped connection could post
# twice, since Slack may have accepted the first. Their failures go back to the caller.
NOT_IDEMPOTENT = ("chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal")


_ERROR_CODE = re.compile(r"[a-z0-9_.]{1,64}")


def outcome_of(exc: BaseException) -> str:
    """A failed call's outcome label: Slack's error code, http_5xx, http_<status>, timeout,
    connection, or the exception's class for anything else."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        if status >= 500:
            return "http_5xx"
        data = exc.response.data
        code = data.get("error") if isinstance(data, dict) else None
        if isinstance(code, str) and _ERROR_CODE.fullmatch(code):
            return code
        return f"http_{status}" if status != 200 else "invalid_response"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return "connection"
    return type(exc).__name__


class InstrumentedWebClient(AsyncWebClient):
    """An AsyncWebClient that reports each call's method, outcome and duration."""

    def __init__(self, *args: Any, telemetry: Telemetry | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.telemetry = telemetry

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        if self.telemetry is None:
            return await super().api_call(api_method, **kwargs)
        started = time.perf_counter()
        outcome = "cancelled"  # replaced unless the caller gave up on the call (a timeout)
        try:
            response = await super().api_call(api_method, **kwargs)
            outcome = "ok"
            return response
        except Exception as exc:
            outcome = outcome_of(exc)
            if isinstance(exc, SlackApiError) and exc.response.status_code == 429:
                self.telemetry.rate_limited(api_method, retried=False)
            raise
        finally:
            self.telemetry.slack_call(api_method, outcome, time.perf_counter() - started)


def instrumented_copy(client: AsyncWebClient, telemetry: Telemetry | None) -> InstrumentedWebClient:
    """A counted client with everything `client` has: token, URL, session, retry handlers."""
    return InstrumentedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        trust_env_in_session=client.trust_env_in_session,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers),
        telemetry=telemetry,
    )


def instrument_listeners(
    telemetry: Telemetry,
) -> Callable[..., Awaitable[BoltResponse]]:
    """Bolt global middleware: the listeners' `client` counts its calls too."""

    async def middleware(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        if context.client is not None and not isinstance(context.client, InstrumentedWebClient):
            context["client"] = instrumented_copy(context.client, telemetry)
        return await next()

    return middleware


def slack_session(timeout: float = SLACK_TIMEOUT_SECONDS) -> aiohttp.ClientSession:
    """The one connection pool for Slack calls, each bounded by `timeout` seconds."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))


def _idempotent(request: HttpRequest) -> bool:
    return not request.url.rstrip("/").endswith(NOT_IDEMPOTENT)


class _IdempotentServerErrorRetry(AsyncServerErrorRetryHandler):
    async def _can_retry_async(self, *, state, request, response=None, error=None):  # type: ignore[no-untyped-def]
        return _idempotent(request) and await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class _IdempotentConnectionRetry(AsyncConnectionErrorRetryHandler):
    async def _can_retry_async(self, *, state, request, response=None, error=None):  # type: ignore[no-untyped-def]
        return _idempotent(request) and await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class _ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    telemetry: Telemetry | None = None  # counts the 429s retried here

    async def _can_retry_async(self, *, state, request, response=None, error=None):  # type: ignore[no-untyped-def]
        if response is None or response.status_code != 429:
            return False
        wait = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        try:
            seconds = float(wait[0] if isinstance(wait, list) else wait)
        except ValueError:
            return False
        retry = seconds <= MAX_RATE_LIMIT_WAIT_SECONDS
        if retry and self.telemetry is not None:
            self.telemetry.rate_limited(request.url.rstrip("/").rsplit("/", 1)[-1], retried=True)
        return retry


def build_client(
    token: str | None,
    *,
    api_url: str | None = None,
    session: aiohttp.ClientSession | None = None,
    telemetry: Telemetry | None = None,
) -> AsyncWebClient:
    """slack_sdk's client: retries short 429s, and 5xx or dropped links on calls that are safe
    to repeat. `session` should come from `slack_session()` (it carries the timeout); with
    `telemetry`, every call and every 429 is counted."""
    rate_limit = _ShortRateLimitRetry(max_retry_count=3)
    rate_limit.telemetry = telemetry
    return InstrumentedWebClient(
        token=token,
        base_url=api_url or DEFAULT_API_URL,
        timeout=SLACK_TIMEOUT_SECONDS,
        session=session,
        retry_handlers=[
            _IdempotentConnectionRetry(max_retry_count=2),
            rate_limit,
            _IdempotentServerErrorRetry(max_retry_count=2),
        ],
        telemetry=telemetry,
    )
