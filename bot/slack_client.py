"""slack_sdk's AsyncWebClient, counting and timing every Web API call for /metrics.

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
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

if TYPE_CHECKING:
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_bolt.response import BoltResponse

    from bot.telemetry import Telemetry

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


def instrumented_copy(client: AsyncWebClient, telemetry: Telemetry) -> InstrumentedWebClient:
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
