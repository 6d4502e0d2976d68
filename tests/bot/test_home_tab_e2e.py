"""The manifest enables the Home tab exactly when the bot publishes one."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bot.runtime import RunningBot
from tests.support.fake_slack import FakeSlack
from tests.support.signing import SignedSlack

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


async def test_home_tab_is_enabled_only_if_the_bot_publishes_one(
    bot: RunningBot, slack: SignedSlack, fake_slack: FakeSlack
) -> None:
    """A user opening the Home tab sees a page if and only if the manifest turns the tab on."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    enabled = manifest["features"]["app_home"]["home_tab_enabled"]
    event = {
        "token": "legacy-verification-token",
        "team_id": slack.team_id,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": "Ev0HOME",
        "event_time": 1_700_000_000,
        "event": {
            "type": "app_home_opened",
            "user": "U0ANA",
            "channel": "D0ANA",
            "tab": "home",
            "event_ts": "1700000000.000100",
        },
    }
    status, _ = await slack.post(json.dumps(event), content_type="application/json")
    await bot.services.background.drain()

    assert status in (200, 404)
    published = [c for c in fake_slack.calls_to("views.publish") if c.body["user_id"] == "U0ANA"]
    assert bool(published) == enabled
