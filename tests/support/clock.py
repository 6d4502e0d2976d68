"""A clock tests can set: the engine and the bot read `now` from it."""

from __future__ import annotations

from datetime import datetime, timedelta


class SettableClock:
    """Returns the time it was last set to; `advance` moves it on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
