"""Clicks on the bot's own messages: `block_actions` payloads built from the blocks it posted,
the way Slack builds them when someone ticks a box, picks a user or presses a button."""

from __future__ import annotations

import itertools
from typing import Any

_clicks = itertools.count(1)


def find_element(message: dict[str, Any], action_id: str) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the first element with this action_id in a posted message."""
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("action_id") == action_id:
                return str(block.get("block_id")), element
    raise AssertionError(f"no element {action_id!r} in the message")


def find_elements(message: dict[str, Any], action_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Every (block_id, element) with this action_id, in order."""
    found = []
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        found += [
            (str(block.get("block_id")), e) for e in elements if e.get("action_id") == action_id
        ]
    return found


def block_action(
    *,
    message: dict[str, Any],
    channel: str,
    user: str,
    action: dict[str, Any],
    response_url: str,
    team: str = "T0001",
) -> dict[str, Any]:
    """A `block_actions` payload for one action on `message` in `channel`."""
    n = next(_clicks)
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"click.{n}",
        "channel": {"id": channel, "name": "growth"},
        "message": message,
        "response_url": response_url,
        "actions": [{**action, "action_ts": f"1764000000.{n:06d}"}],
    }


def tick(message: dict[str, Any], action_id: str, checked_values: list[str]) -> dict[str, Any]:
    """The checkboxes action after the user leaves exactly `checked_values` ticked."""
    block_id, element = find_element(message, action_id)
    options = [o for o in element["options"] if o["value"] in checked_values]
    return {
        "type": "checkboxes",
        "action_id": action_id,
        "block_id": block_id,
        "selected_options": options,
    }


def toggle(message: dict[str, Any], action_id: str, value: str) -> dict[str, Any]:
    """The checkboxes action after one click on box `value` of `message` as it was drawn (a stale
    copy included): its initial options with that one box flipped."""
    _, element = find_element(message, action_id)
    shown = {o["value"] for o in element.get("initial_options") or []}
    return tick(message, action_id, sorted(shown ^ {value}))


def pick_user(block_id: str, element: dict[str, Any], user: str) -> dict[str, Any]:
    """The users_select action after picking `user`."""
    return {
        "type": "users_select",
        "action_id": element["action_id"],
        "block_id": block_id,
        "selected_user": user,
        "initial_user": element.get("initial_user"),
    }


def press(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The button action for the button with this action_id."""
    block_id, element = find_element(message, action_id)
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "value": element.get("value"),
        "text": element.get("text"),
    }
