"""Which Slack failures are worth retrying: every Web API error becomes a DeliveryError.

One place for the rule. A permanent error ends the outbox row (and someone is told what to fix);
a transient one is tried again later with backoff.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from slack_sdk.errors import SlackApiError

from jobs.messenger import DeliveryError, PermanentDeliveryError, TransientDeliveryError

# Slack's error codes that mean "try again later"; any other error code will not go away by
# itself (not_in_channel, is_archived, channel_not_found, user_not_found, account_inactive,
# message_not_found, cant_update_message, invalid_blocks, msg_too_long, missing_scope,
# token_revoked, …).
TRANSIENT_CODES = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)


def classify(exc: BaseException, *, target: str | None = None) -> DeliveryError:
    """The DeliveryError a failed Slack call amounts to."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data
        code = data.get("error") if isinstance(data, dict) else None
        if status == 429:
            return TransientDeliveryError(
                "ratelimited", target=target, retry_after=_retry_after(exc)
            )
        if status >= 500:
            return TransientDeliveryError(f"http_{status}", target=target)
        if not isinstance(code, str) or not code:
            return TransientDeliveryError(f"http_{status}", target=target)
        if code in TRANSIENT_CODES:
            return TransientDeliveryError(code, target=target, retry_after=_retry_after(exc))
        return PermanentDeliveryError(code, target=target)
    if isinstance(exc, TimeoutError):
        return TransientDeliveryError("timeout", target=target)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return TransientDeliveryError("connection", target=target)
    return TransientDeliveryError(type(exc).__name__, target=target)


@contextlib.asynccontextmanager
async def delivering(target: str | None = None) -> AsyncIterator[None]:
    """Turn any failure inside into a DeliveryError about `target`."""
    try:
        yield
    except DeliveryError:
        raise
    except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise classify(exc, target=target) from exc


def _retry_after(exc: SlackApiError) -> float | None:
    headers = exc.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            with contextlib.suppress(TypeError, ValueError):
                return max(float(value if isinstance(value, str | int) else value[0]), 0.0)
    return None
