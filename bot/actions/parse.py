"""Read a `block_actions` payload into a typed action (pure; UsageError on anything odd)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.constants import (
    ACKNOWLEDGE_ACTION,
    CHECKLIST_ACTION,
    ITEM_OWNER_ACTION,
    RESOLVE_ACTION,
    SNOOZE_ACTION,
    parse_checklist_block_id,
    parse_episode_block_id,
    parse_id,
    parse_owner_block_id,
)
from jobs.errors import UsageError
from jobs.i18n import _


@dataclass(frozen=True)
class Click:
    """Who clicked, where, and a key unique to this click (Slack's action_ts)."""

    team_id: str
    user_id: str
    channel_id: str | None
    message_ts: str | None
    click_id: str


@dataclass(frozen=True)
class ItemChecked:
    """One checklist box the click ticked (done) or unticked."""

    item_key: str
    done: bool


@dataclass(frozen=True)
class SetChecked:
    """The boxes a click changed: those whose state differs from the message clicked on.

    Usually one; more when the user clicked again before the message was redrawn.
    """

    remediation_id: int
    changes: tuple[ItemChecked, ...]


@dataclass(frozen=True)
class AssignOwner:
    """A new owner picked for one checklist item."""

    remediation_id: int
    item_key: str
    owner_id: str


@dataclass(frozen=True)
class Resolve:
    """Close a remediation early."""

    remediation_id: int


@dataclass(frozen=True)
class Acknowledge:
    """Stop an escalation's repeats."""

    episode_id: int


@dataclass(frozen=True)
class Snooze:
    """Mute an escalation's repeats for 24 hours."""

    episode_id: int


Action = SetChecked | AssignOwner | Resolve | Acknowledge | Snooze


def read_click(body: dict[str, Any]) -> Click:
    """The clicker and the message clicked on."""
    user = body.get("user") or {}
    team = body.get("team") or {}
    container = body.get("container") or {}
    actions = body.get("actions") or [{}]
    team_id = team.get("id") or user.get("team_id")
    if not team_id or not user.get("id"):
        raise UsageError(_("That click came without a workspace or a user."))
    return Click(
        team_id=str(team_id),
        user_id=str(user["id"]),
        channel_id=container.get("channel_id") or (body.get("channel") or {}).get("id"),
        message_ts=container.get("message_ts"),
        click_id=str(actions[0].get("action_ts") or body.get("trigger_id") or ""),
    )


def read_action(action: dict[str, Any], message: dict[str, Any] | None = None) -> Action:
    """One element's action, by its action_id; `message` is the payload's message, as the user
    saw it when clicking."""
    action_id = action.get("action_id")
    if action_id == CHECKLIST_ACTION:
        return _read_checkboxes(action, message)
    if action_id == ITEM_OWNER_ACTION:
        remediation_id, key = parse_owner_block_id(action.get("block_id"))
        owner = action.get("selected_user")
        if not isinstance(owner, str) or not owner:
            raise UsageError(_("Pick someone to own this item."))
        return AssignOwner(remediation_id=remediation_id, item_key=key, owner_id=owner)
    if action_id == RESOLVE_ACTION:
        return Resolve(remediation_id=parse_id(action.get("value")))
    if action_id in (ACKNOWLEDGE_ACTION, SNOOZE_ACTION):
        episode_id = parse_id(action.get("value"))
        if action.get("block_id") and parse_episode_block_id(action["block_id"]) != episode_id:
            raise UsageError(_("That button does not match its message."))
        return Acknowledge(episode_id) if action_id == ACKNOWLEDGE_ACTION else Snooze(episode_id)
    raise UsageError(_("That button or menu is not one goalpulse knows."))


def _read_checkboxes(action: dict[str, Any], message: dict[str, Any] | None) -> SetChecked:
    """Slack sends the whole group's state: the click is what differs from the boxes as drawn in
    the message clicked on (its initial options), so a stale copy changes no one else's box."""
    block_id = action.get("block_id")
    remediation_id = parse_checklist_block_id(block_id)
    drawn = _drawn_checkboxes(message, block_id)
    if drawn is None:
        raise UsageError(
            _(
                "That click came without its checklist, so which box changed is unknown; "
                "nothing was changed."
            )
        )
    selected = _values(action.get("selected_options"))
    changes = tuple(ItemChecked(key, key in selected) for key in sorted(selected ^ drawn))
    return SetChecked(remediation_id=remediation_id, changes=changes)


def _drawn_checkboxes(message: dict[str, Any] | None, block_id: object) -> frozenset[str] | None:
    """The ticked values of this checkbox group as drawn in `message`; None if it is not there."""
    for block in (message or {}).get("blocks") or []:
        if block.get("block_id") != block_id:
            continue
        for element in block.get("elements") or []:
            if element.get("action_id") == CHECKLIST_ACTION:
                return _values(element.get("initial_options"))
    return None


def _values(options: object) -> frozenset[str]:
    if not isinstance(options, list):
        return frozenset()
    return frozenset(str(o.get("value")) for o in options if isinstance(o, dict))
