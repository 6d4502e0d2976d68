"""Bolt's OAuth settings and flow for goalpulse, and everything the engine needs with them.

The scopes are the manifest's bot scopes (bot.constants.BOT_SCOPES, which tests/test_manifest.py
compares with manifest.yml). Tokens are looked up by bot (`installation_store_bot_only`): Bolt
for requests, bot/oauth/tokens.py for the engine, one row for both. Rotation is on when the
Slack app has token rotation turned on (Slack then sends refresh tokens); both refresh within
ROTATE_MINUTES of expiry, through SLACK_API_URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.constants import BOT_SCOPES
from bot.oauth.events import Installs, on_success
from bot.oauth.install_page import GoalpulseOAuthFlow
from bot.oauth.stores import STATE_EXPIRATION_SECONDS, build_stores, log
from bot.oauth.tokens import ROTATE_MINUTES, TeamTokens
from bot.settings import Settings
from storage.db import Database

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


@dataclass(frozen=True)
class OAuth:
    """The flow Bolt serves, and what the engine and the uninstall listeners share with it."""

    flow: GoalpulseOAuthFlow
    tokens: TeamTokens
    installs: Installs


def build_oauth(
    settings: Settings,
    *,
    database: Database,
    client: AsyncWebClient,
    clock: Callable[[], datetime],
) -> OAuth:
    """Bolt's AsyncOAuthFlow on goalpulse's database; `client` (no token) reaches Slack at
    SLACK_API_URL for oauth.v2.access, auth.test and refreshes."""
    client_id, client_secret = settings.slack_client_id, settings.slack_client_secret
    if client_id is None or client_secret is None:
        raise ValueError("OAuth needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    stores = build_stores(database, client_id)
    rotator = AsyncTokenRotator(client_id=client_id, client_secret=client_secret, client=client)
    tokens = TeamTokens(database=database, store=stores.installations, rotator=rotator)
    installs = Installs(database=database, store=stores.installations, tokens=tokens, clock=clock)
    oauth_settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=sorted(BOT_SCOPES),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.slack_oauth_authorize_url,
        installation_store=stores.installations,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=ROTATE_MINUTES,
        state_store=stores.states,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        callback_options=AsyncCallbackOptions(success=on_success(installs), failure=_failure),
        logger=log,
    )
    # Bolt's own authorize refreshes tokens through a client of its own on slack.com; this one
    # goes through `client`, so SLACK_API_URL holds for refreshes too.
    oauth_settings.authorize = AsyncInstallationStoreAuthorize(
        logger=log,
        client_id=client_id,
        client_secret=client_secret,
        token_rotation_expiration_minutes=ROTATE_MINUTES,
        installation_store=stores.installations,
        bot_only=True,
        client=client,
    )
    flow = GoalpulseOAuthFlow(client=client, logger=log, settings=oauth_settings)
    return OAuth(flow=flow, tokens=tokens, installs=installs)


async def _failure(args: AsyncFailureArgs) -> BoltResponse:
    """Bolt's failure page, and a log line saying why (never the code or state)."""
    log.warning("an installation failed: %s", args.reason)
    return await args.default.failure(args)
