"""The pieces around OAuth that need no Slack: the manifest's OAuth settings, and which
messenger (which token) the engine uses for a workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.messenger import SlackMessenger
from bot.oauth.settings import REDIRECT_PATH, build_oauth
from bot.runtime import build_engine
from bot.settings import Settings, load_settings
from bot.slack_client import build_client
from jobs.engine import Engine
from jobs.messenger import PermanentDeliveryError
from jobs.metrics.catalog import load_catalog
from storage import installs
from storage.db import Database

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest.yml"


def _now() -> datetime:
    return datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_manifest_routes_installs_and_uninstalls_to_goalpulse() -> None:
    manifest = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    (redirect,) = manifest["oauth_config"]["redirect_urls"]
    assert redirect.endswith(REDIRECT_PATH)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)


async def _engine(settings: Settings, database: Database, metrics: Path) -> Engine:
    async with aiohttp.ClientSession() as http:
        client = build_client(settings.slack_bot_token, session=http)
        oauth = (
            build_oauth(settings, database=database, client=client, clock=_now)
            if settings.oauth
            else None
        )
        engine = build_engine(
            settings,
            database=database,
            catalog=load_catalog(metrics),
            http=http,
            client=client,
            clock=lambda: pytest.fail("not called"),
            tokens=oauth.tokens if oauth is not None else None,
        )
        await engine.fetcher.close()
    return engine


@pytest.mark.parametrize(
    ("credentials", "one_client"),
    [
        pytest.param({"slack_bot_token": "xoxb-one"}, True, id="one-token-one-client"),
        pytest.param(
            {"slack_client_id": "1111.2222", "slack_client_secret": "s3cret-s3cret"},
            False,
            id="oauth-a-client-per-workspace",
        ),
    ],
)
async def test_each_workspace_gets_its_messenger(
    database: Database, metrics_path: Path, credentials: dict[str, str], one_client: bool
) -> None:
    """Each workspace has its own messenger (its readers' languages, its posting budget); with
    one pasted token they share its client, with OAuth each has a client for its token."""
    settings = load_settings(Settings, slack_signing_secret="s", _env_file=None, **credentials)
    engine = await _engine(settings, database, metrics_path)
    acme, globex = engine.messenger_for("T0001"), engine.messenger_for("T0002")
    assert isinstance(acme, SlackMessenger)
    assert isinstance(globex, SlackMessenger)
    assert acme is engine.messenger_for("T0001")
    assert (acme.team_id, globex.team_id) == ("T0001", "T0002")
    assert (acme.client is globex.client) == one_client


@pytest.mark.parametrize(
    "uninstalled",
    [pytest.param(False, id="never-installed"), pytest.param(True, id="uninstalled")],
)
async def test_a_workspace_without_installation_fails_for_good(
    database: Database, metrics_path: Path, uninstalled: bool
) -> None:
    """Its outbox rows end (failed) instead of retrying: the error is permanent."""
    settings = load_settings(
        Settings,
        slack_signing_secret="s",
        slack_client_id="1111.2222",
        slack_client_secret="s3cret-s3cret",
        _env_file=None,
    )
    if uninstalled:
        async with database.transaction() as session:
            await installs.mark_uninstalled(
                session=session, team_id="T0009", enterprise_id=None, now=_now()
            )
    engine = await _engine(settings, database, metrics_path)
    with pytest.raises(PermanentDeliveryError) as raised:
        await engine.messenger_for("T0009").workspace_admins()
    assert raised.value.reason == "not_installed"
    assert await engine.messenger_for("T0009").user_timezone("U1") is None
