"""Text in Slack mrkdwn: escaping, mentions, and the message parts jobs/ hands us. Pure.

jobs/ describes what to say as parts (jobs/errors.py); this is the one place those become
mrkdwn: typed and stored text escaped and shown as inline code, people as mentions, commands
written with the slash command's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.constants import SLASH_COMMAND
from jobs.errors import (
    Channel,
    Code,
    CommandLine,
    GoalpulseError,
    Part,
    Person,
    Typed,
)

# What a Slack user id looks like; anything else is never written as a mention.
USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
NOBODY = "—"


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
    return code(shown)


def code(text: str) -> str:
    """Text as inline code, inert in mrkdwn (a backtick inside becomes `'`)."""
    return "`" + escape_mrkdwn(text.replace("`", "'")) + "`"


def mention(user_id: str | None, *, otherwise: str | None = None) -> str:
    """`<@U…>` for a user id. Anything else reads `otherwise` when given; without it, nobody
    (None or empty) reads `—` and any other text is shown inert, so it can neither ping nor link.
    """
    if user_id and USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    if otherwise is not None:
        return otherwise
    return escape_mrkdwn(user_id) if user_id else NOBODY


def command_text(command: CommandLine) -> str:
    """The command as a person types it, starting with the slash command: `/goal set dau 150k`."""
    return " ".join((SLASH_COMMAND, *command.words))


def command_code(command: CommandLine) -> str:
    """The command as inline code, inert in mrkdwn."""
    return "`" + escape_mrkdwn(command_text(command)) + "`"


def part_text(part: Part) -> str:
    """One message part in mrkdwn; our own words are written as they are."""
    match part:
        case str():
            return part
        case Person():
            return mention(part.user_id)
        case Channel():
            return f"<#{part.channel_id}>"
        case Typed():
            return quoted(part.text, limit=part.limit)
        case Code():
            return code(part.text)
        case CommandLine():
            return command_code(part)


def mrkdwn(parts: Iterable[Part]) -> str:
    """Message parts as one mrkdwn string."""
    return "".join(part_text(part) for part in parts)


def error_text(error: GoalpulseError) -> str:
    """What was wrong, in mrkdwn."""
    return mrkdwn(error.parts)


def example_text(error: GoalpulseError) -> str | None:
    """The corrected command as a person would type it, or None when there is none."""
    return command_text(error.example) if error.example is not None else None
