"""The one error a metric source raises."""

from __future__ import annotations

LIMIT = 400


class SourceError(Exception):
    """A source could not be read or gave bad data: one line saying what is wrong, for people.

    Messages start with the metric key (`dau: …`) and never contain a database password.
    """

    def __init__(self, message: str) -> None:
        line = " ".join(message.split())
        if len(line) > LIMIT:
            line = line[: LIMIT - 1] + "…"
        super().__init__(line)
        self.message = line
