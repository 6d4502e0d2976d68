"""What the engine needs from a chat platform. bot/ implements it with Slack; jobs/ never
imports Slack."""

from __future__ import annotations

from typing import Protocol

from jobs.digest.model import ChannelDigest
from jobs.messages import Outgoing


class DeliveryError(Exception):
    """A message could not be delivered.

    `reason` is short and safe to show (the platform's error code, "timeout", "http_503");
    `target` is the channel or user it is about; `retry_after` (seconds) is the platform's own
    hint. `permanent` errors end the work: sending the same thing again cannot succeed.
    """

    permanent = False

    def __init__(
        self, reason: str, *, target: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason if target is None else f"{reason} ({target})")
        self.reason = reason
        self.target = target
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The platform said no for good: not in the channel, archived, no such user…"""

    permanent = True


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: rate limited, a server error, a timeout, a dropped link."""


class DigestPublisher(Protocol):
    """Posts a digest to its channel; its chart follows in the thread."""

    async def publish_digest(self, digest: ChannelDigest) -> str:
        """Post it and return the message's timestamp (its id in the channel).

        Raises on failure; the caller retries later, so a digest is never half-posted twice.
        """
        ...

    def attach_chart(self, digest: ChannelDigest, ts: str) -> None:
        """Draw the posted digest's chart and put it in its thread, in the background.

        Must not block or raise, and never posts the digest again; may do nothing.
        """
        ...


class Messenger(DigestPublisher, Protocol):
    """Everything escalation and remediation send: DMs, thread posts, files and in-place edits.

    Every method raises DeliveryError on failure: the caller retries a transient one later
    and ends the work on a permanent one.
    """

    async def post(
        self, channel_id: str, message: Outgoing, *, thread_ts: str | None = None
    ) -> str:
        """Post to a channel (or into a thread); returns the new message's ts."""
        ...

    async def update(self, channel_id: str, ts: str, message: Outgoing) -> None:
        """Redraw an existing message in place."""
        ...

    async def send_dm(self, user_id: str, message: Outgoing) -> tuple[str, str]:
        """DM a user; returns (the DM channel, the message's ts)."""
        ...

    async def upload_file(
        self, channel_id: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> str:
        """Upload a file (a chart) into a thread; returns the file's id."""
        ...

    async def user_timezone(self, user_id: str) -> str | None:
        """The user's IANA timezone, or None when unknown."""
        ...

    async def permalink(self, channel_id: str, ts: str) -> str | None:
        """A link to a message, or None when the platform cannot give one."""
        ...

    async def workspace_admins(self) -> list[str]:
        """The user ids of the workspace's admins and owners: people, not bots or deactivated
        accounts. Raises DeliveryError when the platform cannot say."""
        ...
