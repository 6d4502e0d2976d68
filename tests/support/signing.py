"""Requests signed exactly as Slack signs them (v0 HMAC-SHA256 over `v0:{ts}:{body}`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp


def slack_signature(secret: str, timestamp: str, body: str) -> str:
    """The X-Slack-Signature value for a body sent at `timestamp`."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SignedSlack:
    """Sends slash commands and interactions to the bot's real HTTP endpoint."""

    def __init__(
        self,
        *,
        bot_url: str,
        signing_secret: str,
        response_url: Any,
        team_id: str = "T0001",
    ) -> None:
        self.endpoint = f"{bot_url}/slack/events"
        self.signing_secret = signing_secret
        self.response_url = response_url
        self.team_id = team_id
        self._session: aiohttp.ClientSession | None = None
        self._count = 0

    async def __aenter__(self) -> SignedSlack:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._session is not None
        await self._session.close()

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: str | None = None,
        signature: str | None = None,
        sign: bool = True,
    ) -> tuple[int, str]:
        """POST a raw body with Slack's headers; returns (status, text)."""
        assert self._session is not None
        ts = timestamp or str(int(time.time()))
        headers = {"Content-Type": content_type}
        if sign:
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = signature or slack_signature(
                self.signing_secret, ts, body
            )
        async with self._session.post(self.endpoint, data=body, headers=headers) as response:
            return response.status, await response.text()

    def command_body(
        self, text: str, *, user: str = "U0ANA", channel: str = "C0GROWTH", tag: str | None = None
    ) -> tuple[str, str]:
        """A form-encoded `/goal` body and the response_url tag it carries."""
        self._count += 1
        tag = tag or f"cmd{self._count}"
        fields = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "growth",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/goal",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": self.response_url(tag),
            "trigger_id": f"trigger.{self._count}",
        }
        return urlencode(fields), tag

    async def command(
        self, text: str, *, user: str = "U0ANA", channel: str = "C0GROWTH"
    ) -> tuple[int, dict[str, Any] | None, str]:
        """Send `/goal <text>`; returns (status, JSON ack body or None, response_url tag)."""
        body, tag = self.command_body(text, user=user, channel=channel)
        status, raw = await self.post(body)
        return status, json.loads(raw) if raw.startswith("{") else None, tag

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        """Send a block_actions or view_submission payload the way Slack does (form field)."""
        status, raw = await self.post(urlencode({"payload": json.dumps(payload)}))
        return status, json.loads(raw) if raw.startswith("{") else None
