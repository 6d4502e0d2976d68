"""Identifiers Slack echoes back to us (command name, callback and action ids); bot scopes."""

import re
from typing import Final

from jobs.errors import UsageError

SLASH_COMMAND: Final = "/goal"

# The bot token scopes goalpulse needs: the same set as manifest.yml's oauth_config.scopes.bot.
BOT_SCOPES: Final = frozenset(
    {"commands", "chat:write", "chat:write.public", "im:write", "users:read", "files:write"}
)

GOAL_MODAL_CALLBACK: Final = "goal_modal"
# The check-in form (bot/views/checkin_modal.py); the check-in id travels in private_metadata.
CHECKIN_MODAL: Final = "checkin_modal"

GOAL_MODAL_METRIC_BLOCK: Final = "metric"
GOAL_MODAL_METRIC_ACTION: Final = "metric_select"
GOAL_MODAL_TARGET_BLOCK: Final = "target"
GOAL_MODAL_TARGET_ACTION: Final = "target_input"
GOAL_MODAL_DIRECTION_BLOCK: Final = "direction"
GOAL_MODAL_DIRECTION_ACTION: Final = "direction_select"
GOAL_MODAL_DUE_BLOCK: Final = "due"
GOAL_MODAL_DUE_ACTION: Final = "due_picker"
GOAL_MODAL_OWNER_BLOCK: Final = "owner"
GOAL_MODAL_OWNER_ACTION: Final = "owner_select"
GOAL_MODAL_LEAD_BLOCK: Final = "lead"
GOAL_MODAL_LEAD_ACTION: Final = "lead_select"
GOAL_MODAL_STRETCH_BLOCK: Final = "stretch"
GOAL_MODAL_STRETCH_ACTION: Final = "stretch_input"
GOAL_MODAL_START_BLOCK: Final = "start"
GOAL_MODAL_START_ACTION: Final = "start_input"

MAX_COMMAND_LENGTH: Final = 500

# Escalation and remediation messages (bot/render/escalation.py); the ids come back in payloads.
CHECKLIST_ACTION: Final = "remediation_checklist"  # checkboxes; option value = item key
ITEM_OWNER_ACTION: Final = "remediation_item_owner"  # users_select, one per item
RESOLVE_ACTION: Final = "remediation_resolve"  # button; value = str(remediation_id)
ACKNOWLEDGE_ACTION: Final = "episode_acknowledge"  # button; value = str(episode_id)
SNOOZE_ACTION: Final = "episode_snooze"  # button; value = str(episode_id)
# `/goal show` of a goal on an at-risk measure (bot/render/at_risk.py).
AT_RISK_LIST_ACTION: Final = "at_risk_list"  # button; value = str(goal_id)
# The check-in prompt DM (bot/render/checkins.py): opens the check-in form.
CHECKIN_BUTTON: Final = "checkin_open"  # button; value = str(checkin_id)

_CHECKLIST_BLOCK: Final = "checklist"
_OWNER_BLOCK: Final = "owner"
_EPISODE_BLOCK: Final = "episode"
_ID = re.compile(r"[0-9]{1,18}", re.ASCII)
_ITEM_KEY = re.compile(r"[A-Za-z0-9_-]{1,200}", re.ASCII)


def checklist_block_id(remediation_id: int) -> str:
    """`checklist:42`: the actions block holding a remediation's checkboxes."""
    return f"{_CHECKLIST_BLOCK}:{remediation_id}"


def owner_block_id(remediation_id: int, item_key: str) -> str:
    """`owner:42:competitor-scan`: the section whose users_select sets one item's owner."""
    return f"{_OWNER_BLOCK}:{remediation_id}:{item_key}"


def episode_block_id(episode_id: int) -> str:
    """`episode:7`: the actions block with a DM's Acknowledge and Snooze buttons."""
    return f"{_EPISODE_BLOCK}:{episode_id}"


def parse_id(value: object) -> int:
    """A remediation or episode id from a button value or block id part; UsageError on garbage."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise UsageError("That button or menu is not one goalpulse knows.")
    return int(value)


def parse_checklist_block_id(block_id: object) -> int:
    """The remediation id in `checklist:{id}`; UsageError on anything else."""
    return parse_id(_strip_prefix(block_id, _CHECKLIST_BLOCK))


def parse_owner_block_id(block_id: object) -> tuple[int, str]:
    """(remediation id, item key) from `owner:{id}:{key}`; UsageError on anything else."""
    rest = _strip_prefix(block_id, _OWNER_BLOCK)
    remediation, _, key = rest.partition(":")
    if not _ITEM_KEY.fullmatch(key):
        raise UsageError("That menu does not belong to a checklist item goalpulse knows.")
    return parse_id(remediation), key


def parse_episode_block_id(block_id: object) -> int:
    """The episode id in `episode:{id}`; UsageError on anything else."""
    return parse_id(_strip_prefix(block_id, _EPISODE_BLOCK))


def _strip_prefix(block_id: object, prefix: str) -> str:
    if not isinstance(block_id, str) or not block_id.startswith(f"{prefix}:"):
        raise UsageError("That button or menu is not one goalpulse knows.")
    return block_id[len(prefix) + 1 :]
