"""At most one refresh of a person's page per interval, later requests merged. Pure: `now` is
passed in, and the caller sends what `request` and `due` say."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

Key = TypeVar("Key")


@dataclass
class Debounce(Generic[Key]):
    """Per key: the last send, and the one send still to come (at most one)."""

    interval: timedelta = timedelta(minutes=1)
    _sent: dict[Key, datetime] = field(default_factory=dict)
    _pending: dict[Key, datetime] = field(default_factory=dict)

    def request(self, key: Key, now: datetime) -> datetime | None:
        """A refresh is wanted: None means send now (recorded as sent); otherwise the time it
        is due, the same for every request merged into one pending send."""
        if key in self._pending:
            return self._pending[key]
        last = self._sent.get(key)
        if last is None or now - last >= self.interval:
            self._sent[key] = now
            return None
        self._pending[key] = last + self.interval
        return self._pending[key]

    def due(self, now: datetime) -> list[Key]:
        """The pending sends whose time has come, recorded as sent now."""
        ready = [key for key, at in self._pending.items() if at <= now]
        for key in ready:
            del self._pending[key]
            self._sent[key] = now
        return ready

    def next_due(self) -> datetime | None:
        """When the earliest pending send is due; None with nothing pending."""
        return min(self._pending.values(), default=None)

    def forget_before(self, moment: datetime) -> None:
        """Drop the record of sends before `moment` that have nothing pending (bounded memory)."""
        stale = [k for k, at in self._sent.items() if at < moment and k not in self._pending]
        for key in stale:
            del self._sent[key]
