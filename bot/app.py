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
from slack_sdk.web.async_client import AsyncWebClient

from bot import actions, commands, views
from bot.errors import handle_listener_error
from bot.services import Services
from bot.settings import DEFAULT_API_URL


def build_client(
    token: str,
    *,
    api_url: str | None = None,
    timeout: int = 10,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """slack_sdk's client with retries for 429 (honouring Retry-After), 5xx and dropped links."""
    return AsyncWebClient(
        token=token,
        base_url=api_url or DEFAULT_API_URL,
        timeout=timeout,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
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
