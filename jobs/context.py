"""What the engine's parts share, built once and handed down whole.

`EngineContext` is where state lives and how people are reached; `SendTiming` is how long a
claim holds and how sending waits and retries (docs/architecture.md, "Outbox and run claims").
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jobs.messenger import Messenger
from jobs.metrics.catalog import MetricCatalog
from storage.db import Database


def worker_name() -> str:
    """This process's name in claims: host, process id and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class EngineContext:
    """The database, the chat port, the metric catalog, the clock, the deployment's timezone
    and the name this process claims work under.

    Everything sent about a workspace goes through `messenger_for(team_id)`: with one token
    (`messengers` None) that is `messenger` for every workspace; installed into several
    workspaces, each workspace's own (bot/oauth/messengers.py).
    """

    database: Database
    messenger: Messenger
    catalog: MetricCatalog
    clock: Callable[[], datetime]
    timezone: str
    worker: str = field(default_factory=worker_name)
    messengers: Callable[[str], Messenger] | None = field(default=None, kw_only=True)

    def messenger_for(self, team_id: str) -> Messenger:
        """The messenger that speaks to this workspace, with its token."""
        return self.messenger if self.messengers is None else self.messengers(team_id)

    def today(self) -> date:
        """Today in the deployment timezone: the day metric values belong to."""
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class SendTiming:
    """How long a claim holds, and how sending waits and retries (outbox rows and digests)."""

    lease: timedelta = timedelta(minutes=5)
    retry_after: timedelta = timedelta(minutes=1)
    # How soon to look again when a message waits for its thread to be posted.
    wait_for_thread: timedelta = timedelta(seconds=5)
    # A send gives up after send_timeout (shorter than the lease, so it ends before anyone may
    # take it over); a transient failure is retried up to max_attempts times, backing off.
    send_timeout: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    max_backoff: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.send_timeout >= self.lease:
            raise ValueError("send_timeout must be shorter than the lease")
