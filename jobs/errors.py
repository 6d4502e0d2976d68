"""Typed domain errors.

Anything a user can cause raises one of these; the bot turns it into a single ephemeral reply
(what was wrong, plus a corrected example) and nothing is stored.
"""

from __future__ import annotations


class GoalpulseError(Exception):
    """A problem the person who caused it can fix."""

    def __init__(self, message: str, *, example: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.example = example


class UsageError(GoalpulseError):
    """The command was malformed."""


class NotFoundError(GoalpulseError):
    """The goal or metric named does not exist here."""


class PermissionDeniedError(GoalpulseError):
    """The caller may not make this change."""


class ConflictError(GoalpulseError):
    """Others changed the same thing at the same moment, every time we tried."""


class ConfigError(Exception):
    """A deployment setting or metrics.yml is wrong; start-up stops with this one line."""


def escape_mrkdwn(text: str) -> str:
    """Make text inert in Slack mrkdwn: no `<!channel>`, no links, no mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape_slack(text: str) -> str:
    """Undo the escaping Slack applies to typed `&`, `<`, `>` (so we never escape twice)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def quoted(user_text: str, *, limit: int = 60) -> str:
    """User-typed text shown back as inline code, escaped and cut to `limit` characters."""
    user_text = unescape_slack(user_text)
    shown = user_text if len(user_text) <= limit else user_text[: limit - 1] + "…"
    return "`" + escape_mrkdwn(shown.replace("`", "'")) + "`"
