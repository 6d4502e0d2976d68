"""The one place errors become replies.

Domain errors (GoalpulseError) become an ephemeral message saying what was wrong with a corrected
example; a modal's input errors go back into the modal; anything else is logged with its
traceback and the user is told that nothing was changed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.response import BoltResponse
from slack_sdk.models.blocks import Block

from bot.render.blocks import error_blocks, unexpected_error_blocks
from bot.render.text import error_text
from jobs.errors import GoalpulseError
from jobs.i18n import _

log = logging.getLogger("goalpulse")

Reply = Callable[[Sequence[Block], str], Awaitable[Any]]


class ModalInputError(GoalpulseError):
    """Field-level problems in a submitted modal, keyed by block_id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def reply_blocks(error: Exception) -> list[Block]:
    """What the user sees for an error."""
    if isinstance(error, GoalpulseError):
        return error_blocks(error)
    log.error("unexpected error while handling a Slack request", exc_info=error)
    return unexpected_error_blocks()


def fallback_text(error: Exception) -> str:
    """Plain text for notifications and screen readers."""
    return error_text(error) if isinstance(error, GoalpulseError) else _("Something went wrong.")


async def handle_listener_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
    """Bolt's global error handler: answers in the HTTP response, before anything is stored."""
    if isinstance(error, ModalInputError) and body.get("type") == "view_submission":
        payload: dict[str, Any] = {"response_action": "errors", "errors": error.errors}
    else:
        blocks = reply_blocks(error)
        payload = {
            "response_type": "ephemeral",
            "text": fallback_text(error),
            "blocks": [block.to_dict() for block in blocks],
        }
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
    )


@asynccontextmanager
async def replying_errors(reply: Reply) -> AsyncIterator[None]:
    """For work done after the ack: turn an error into a reply instead of a lost task."""
    try:
        yield
    except Exception as error:  # the one place errors are answered
        await reply(reply_blocks(error), fallback_text(error))
