"""The "Add to Slack" page at /slack/install: the link to Slack's approval page and the bot
scopes it asks for. Self-contained (no image or script from elsewhere); operator-facing,
English."""

from __future__ import annotations

import html
from collections.abc import Iterable

from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest


def install_page(url: str, scopes: Iterable[str]) -> str:
    """The page, its one link going to `url` (Slack's authorize URL with client id, scopes
    and state)."""
    items = "".join(f"<li><code>{html.escape(scope)}</code></li>" for scope in scopes)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Install goalpulse</title>"
        "<link rel='icon' href='data:,'></head><body>"
        "<h1>Install goalpulse</h1>"
        "<p>goalpulse posts each channel's goal digest and tells owners when a goal slips.</p>"
        f"<p><a id='add-to-slack' href='{html.escape(url)}'>Add to Slack</a></p>"
        f"<p>It asks Slack for these permissions:</p><ul id='scopes'>{items}</ul>"
        "</body></html>"
    )


class GoalpulseOAuthFlow(AsyncOAuthFlow):
    """Bolt's flow with goalpulse's install page."""

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return install_page(url, self.settings.scopes or ())
