"""Typed domain errors, and the pieces their messages are made of.

Anything a user can cause raises one of these; the bot turns it into a single ephemeral reply
(what was wrong, plus a corrected example) and nothing is stored. A message is a sequence of
parts: our own words as plain strings, and data the bot renders for the chat (a person, a
channel, something typed, a stored name, a command), so jobs/ holds no chat syntax.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from string import Formatter


@dataclass(frozen=True)
class Person:
    """Someone in the workspace, by user id; shown as a mention."""

    user_id: str


@dataclass(frozen=True)
class Channel:
    """A channel, by id; shown as a link to it."""

    channel_id: str


@dataclass(frozen=True)
class Typed:
    """Text a person typed, shown back inert as inline code and cut to `limit` characters."""

    text: str
    limit: int = 60


@dataclass(frozen=True)
class Code:
    """A name we hold (a metric key, a checklist title), shown inert as inline code."""

    text: str


@dataclass(frozen=True, init=False)
class CommandLine:
    """A goalpulse command as a person types it, by its words after the command's name:
    `CommandLine("set", "dau", "150k")`. Shown as inline code."""

    words: tuple[str, ...]

    def __init__(self, *words: str) -> None:
        object.__setattr__(self, "words", words)


Part = str | Person | Channel | Typed | Code | CommandLine
"""One piece of a message; plain strings are our own words, shown as written."""


def joined(parts: Iterable[Part], separator: str = ", ") -> tuple[Part, ...]:
    """The parts with `separator` between each two."""
    result: list[Part] = []
    for part in parts:
        if result:
            result.append(separator)
        result.append(part)
    return tuple(result)


def phrase(template: str, **values: Part | tuple[Part, ...]) -> tuple[Part, ...]:
    """A translated sentence as parts, its `{name}` placeholders replaced by data:
    `phrase(_("There is no metric {key}."), key=Typed(key))`. A tuple value (from `joined`)
    is spliced in whole; the sentence's own words stay plain strings."""
    result: list[Part] = []
    for literal, name, _spec, _conversion in Formatter().parse(template):
        if literal:
            result.append(literal)
        if name is None:
            continue
        value = values[name]
        result.extend(value if isinstance(value, tuple) else (value,))
    return tuple(result)


def plain(parts: Iterable[Part]) -> str:
    """The parts as unformatted text, for logs."""
    return "".join(_plain(part) for part in parts)


def _plain(part: Part) -> str:
    match part:
        case str():
            return part
        case Person():
            return f"@{part.user_id}"
        case Channel():
            return f"#{part.channel_id}"
        case Typed() | Code():
            return repr(part.text)
        case CommandLine():
            return repr(" ".join(part.words))


class GoalpulseError(Exception):
    """A problem the person who caused it can fix: what is wrong (`parts`) and, when one
    helps, a command that would work (`example`)."""

    def __init__(self, *parts: Part, example: CommandLine | None = None) -> None:
        super().__init__(plain(parts))
        self.parts: tuple[Part, ...] = parts
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
