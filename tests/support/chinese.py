"""Finding English left in a message rendered for Chinese readers."""

from __future__ import annotations

import json
import re
from typing import Any

# What a Chinese message may carry in Latin letters: inline code (`dau`, commands), mentions,
# channel links, URLs, emoji shortcodes, and the metric and product names in the fixtures.
_INERT = re.compile(
    r"`[^`]*`|<[^>]*>|https?://\S+|:[a-z0-9_+-]+:|/goal\b[^\n]*?(?=[\u3000-\u9fff]|$)"
)
# Two English words in a row (a sentence fragment), each of two letters or more.
_ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ -]+[A-Za-z][a-z]+)+\b")


def english_left(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """Runs of two or more English words outside code, links and `allowed` names."""
    for name in allowed:
        text = text.replace(name, " ")
    text = _INERT.sub(" ", text)
    return _ENGLISH_RUN.findall(text)


def texts_of(payload: Any) -> str:
    """Every `text`, `alt_text` and `placeholder` string in a Block Kit payload, one a line."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "alt_text", "title") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(json.dumps(payload, default=str)))
    return "\n".join(found)
