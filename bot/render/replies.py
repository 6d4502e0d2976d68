"""The short replies to `/goal` changes: settings saved, a goal paused or resumed. Pure."""

from __future__ import annotations

from bot.constants import SLASH_COMMAND
from bot.render import blocks as render
from bot.render.text import escape_mrkdwn
from jobs.goals.channel_settings import ConfigChange
from storage.models import GoalStatus


def config_saved_text(change: ConfigChange) -> str:
    """The reply to a `/goal config` change."""
    if change.treatment is not None:
        return render.treatment_saved_text(change.treatment)
    if change.checklist is None:
        return ":gear: Settings saved."
    title = f"*{escape_mrkdwn(change.checklist.title)}*"
    if change.checklist.action == "add":
        return f":gear: Added {title} to the checklist of every new remediation."
    return f":gear: Removed {title} from the checklist of new remediations."


def status_text(key: str, status: GoalStatus, *, changed: bool) -> str:
    """The reply to `/goal pause` or `resume`, said once whether it changed anything."""
    if status is GoalStatus.PAUSED:
        if not changed:
            return f"`{key}` was already paused. `{SLASH_COMMAND} resume {key}` restarts it."
        return (
            f":double_vertical_bar: Paused `{key}`: no alerts or digest lines until "
            f"`{SLASH_COMMAND} resume {key}`."
        )
    if not changed:
        return f"`{key}` is already active."
    return f":arrow_forward: Resumed `{key}`."
