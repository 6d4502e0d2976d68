"""The app factory: builds the Bolt AsyncApp and registers every listener module explicitly."""

from __future__ import annotations

import logging

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot import actions, commands, views
from bot.errors import handle_listener_error
from bot.services import Services
from bot.settings import DEFAULT_API_URL
from bot.slack_client import InstrumentedWebClient
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
    token: str,
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


class _SameTokenWarning(logging.Filter):
    """Bolt warns "token will be unused" whenever SLACK_BOT_TOKEN is set, even though the client
    we hand it was built from that very token; the warning would only mislead operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(*, services: Services, client: AsyncWebClient, signing_secret: str) -> AsyncApp:
    """A fully wired AsyncApp. Listeners ack inline (no polling), slow work runs afterwards."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        # Listeners ack before any I/O and return; the response goes out at once instead of
        # Bolt polling for the ack every 10 ms.
        process_before_response=True,
        logger=_bolt_logger(),
    )
    app.error(handle_listener_error)
    commands.register(app, services)
    views.register(app, services)
    actions.register(app, services)
    return app


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("goalpulse.bolt")
    if not any(isinstance(f, _SameTokenWarning) for f in logger.filters):
        logger.addFilter(_SameTokenWarning())
    return logger
