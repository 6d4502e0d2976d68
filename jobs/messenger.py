"""What the engine needs from a chat platform. bot/ implements it with Slack; jobs/ never
imports Slack."""

from __future__ import annotations

from typing import Protocol

from jobs.digest_model import ChannelDigest


class DigestPublisher(Protocol):
    """Posts a digest to its channel."""

    async def publish_digest(self, digest: ChannelDigest, chart_png: bytes | None) -> str:
        """Post it and return the message's timestamp (its id in the channel).

        Raises on failure; the caller retries later, so a digest is never half-posted twice.
        """
        ...
