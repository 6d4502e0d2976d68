"""Identifiers Slack echoes back to us: command name, callback and action ids."""

from typing import Final

SLASH_COMMAND: Final = "/goal"

GOAL_MODAL_CALLBACK: Final = "goal_modal"

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

MAX_COMMAND_LENGTH: Final = 500
