"""Installing goalpulse through its OAuth pages over plain HTTP, as a browser would: open the
"Add to Slack" page, follow its link to the fake Slack's approval page, come back to the
redirect URL with the state cookie the install page set."""

from __future__ import annotations

import html
import json
import re
import time

import aiohttp

from bot.settings import Settings
from tests.support.fake_slack_oauth import CLIENT_ID, CLIENT_SECRET, FakeSlackWorkspaces
from tests.support.signing import slack_signature

STATE_COOKIE = "slack-app-oauth-state"
_LINK = re.compile(r"id='add-to-slack' href='([^']+)'")


def oauth_settings(fake: FakeSlackWorkspaces, **fields: object) -> Settings:
    """Settings installing through the fake Slack (the rest as given)."""
    return Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_api_url=fake.api_url,
        slack_oauth_authorize_url=fake.authorize_url,
        port=0,
        _env_file=None,
        **fields,  # type: ignore[arg-type]
    )


async def install_over_http(
    bot_url: str,
    fake: FakeSlackWorkspaces,
    team_id: str | None,
    *,
    enterprise_id: str | None = None,
) -> str:
    """Install into `team_id` (None: org-wide into `enterprise_id`); the page shown at the end."""
    fake.install_next(team_id, enterprise_id=enterprise_id)
    fake.redirect_uri = f"{bot_url}/slack/oauth_redirect"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bot_url}/slack/install") as page:
            assert page.status == 200
            body = await page.text()
            state = page.cookies[STATE_COOKIE].value
        found = _LINK.search(body)
        assert found is not None, body
        async with http.get(html.unescape(found.group(1)), allow_redirects=False) as approved:
            assert approved.status == 302, await approved.text()
            back = approved.headers["Location"]
        # The bot sets its state cookie Secure; over plain HTTP it is carried by hand.
        headers = {"Cookie": f"{STATE_COOKIE}={state}"}
        async with http.get(back, headers=headers, allow_redirects=False) as done:
            text = await done.text()
            assert done.status == 200, text
            return text


async def send_event(
    bot_url: str,
    signing_secret: str,
    event: dict[str, object],
    *,
    team_id: str | None,
    enterprise_id: str | None = None,
) -> int:
    """POST a signed Events API callback (app_uninstalled, tokens_revoked…); the status."""
    body = json.dumps(
        {
            "type": "event_callback",
            "token": "legacy-verification-token",
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "api_app_id": "A0001",
            "event": event,
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
        }
    )
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(signing_secret, ts, body),
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{bot_url}/slack/events", data=body, headers=headers) as response,
    ):
        return response.status
