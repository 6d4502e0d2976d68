"""Replies with buttons (`/goal remove`'s question), and pressing those buttons as Slack would:
a signed block_actions payload whose response_url is recorded under a tag of its own."""

from __future__ import annotations

import itertools
from typing import Any

from tests.support.clicks import block_action, press
from tests.support.conversation import replies
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack
from tests.support.world import text_of

_presses = itertools.count(1)


async def ask(
    slack: SignedSlack,
    fake_slack: FakeSlack,
    text: str,
    *,
    user: str = "U0ANA",
    channel: str = "C0GROWTH",
) -> dict[str, Any]:
    """`/goal <text>` answered after the ack; the first reply's body, buttons and all."""
    status, ack, tag = await slack.command(text, user=user, channel=channel)
    assert status == 200
    assert ack is None, f"expected an empty ack, got {ack}"
    [body, *_] = await replies(fake_slack, tag)
    assert body["response_type"] == "ephemeral"
    return body


async def press_in_reply(
    slack: SignedSlack,
    fake_slack: FakeSlack,
    reply: dict[str, Any],
    action_id: str,
    *,
    user: str = "U0ANA",
    channel: str = "C0GROWTH",
    team: str = "T0001",
) -> dict[str, Any]:
    """Press a button of an ephemeral reply; returns what the bot answered through the click's
    own response_url."""
    tag = f"press{next(_presses)}"
    message = {**reply, "ts": "1764000000.000100"}
    payload = block_action(
        message=message,
        channel=channel,
        user=user,
        action=press(message, action_id),
        response_url=fake_slack.response_url(tag),
        team=team,
    )
    payload["container"]["is_ephemeral"] = True
    status, body = await slack.interaction(payload)
    assert status == 200
    assert body is None, f"block_actions are acked empty, got {body}"
    [answer, *_] = await replies(fake_slack, tag)
    return dict(answer)


def readable(body: dict[str, Any]) -> str:
    """Everything a person reads in a reply, buttons included."""
    return text_of(body)
