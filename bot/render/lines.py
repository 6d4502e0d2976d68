"""Text cut to fit a place in a message: one line of at most so many characters. Pure."""

from __future__ import annotations

from bot.render.text import escape_mrkdwn


def cut_line(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut before escaping so no entity is split."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escaped_line(text: str, limit: int) -> str:
    """`cut_line`, escaped for mrkdwn: it can neither ping nor link."""
    return escape_mrkdwn(cut_line(text, limit))


def inert_line(text: str, limit: int) -> str:
    """`escaped_line` that also stays inert inside a code span (a backquote becomes a quote)."""
    return escaped_line(text.replace("`", "'"), limit)


def shorten(text: str, limit: int) -> str:
    """Escaped text of at most `limit` UTF-16 units (how Slack counts), cut before escaping."""
    text = " ".join(text.split())
    cut = len(text)
    while _units(escape_mrkdwn(text[:cut])) + (cut < len(text)) > limit:
        cut -= 1
    return escape_mrkdwn(text[:cut]) + ("…" if cut < len(text) else "")


def _units(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)
