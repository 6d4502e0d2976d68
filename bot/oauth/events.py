"""What happens around an installation: it completes, the app is uninstalled or its tokens
revoked, and a workspace of an org-wide installation speaks for the first time.

An uninstall deletes the workspace's tokens (the installation store's own delete methods, as
Bolt's built-in listeners do), marks it uninstalled (storage/installs.py: its scheduled work
stops, queued messages fail for good when due, its data stays) and forgets its cached token. A
reinstall clears the mark.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncSuccessArgs
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from bot.oauth.tokens import TeamTokens
from storage import installs
from storage.db import Database

log = logging.getLogger("goalpulse.oauth")


class Installs:
    """Keeps `workspace_install` (storage/installs.py) in step with Slack's events."""

    def __init__(
        self,
        *,
        database: Database,
        store: AsyncInstallationStore,
        tokens: TeamTokens,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.store = store
        self.tokens = tokens
        self.clock = clock
        self._seen: set[str] = set()

    async def installed(self, team_id: str | None, enterprise_id: str | None) -> None:
        """An installation completed (org-wide: every workspace of the organization known)."""
        async with self.database.transaction() as session:
            if team_id is not None:
                await installs.mark_installed(
                    session=session, team_id=team_id, enterprise_id=enterprise_id, now=self.clock()
                )
                teams = [team_id]
            else:
                teams = await installs.reinstalled_organization(
                    session=session, enterprise_id=enterprise_id, now=self.clock()
                )
        for team in teams:
            self.tokens.forget(team)
        log.info("installed into %s", team_id or f"organization {enterprise_id}")

    async def uninstalled(self, team_id: str | None, enterprise_id: str | None) -> None:
        """Delete the workspace's tokens and stop its work."""
        await self.store.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        async with self.database.transaction() as session:
            teams = await installs.mark_uninstalled(
                session=session, team_id=team_id, enterprise_id=enterprise_id, now=self.clock()
            )
        for team in teams:
            self.tokens.forget(team)
        log.info("uninstalled from %s; its data stays until purged", ", ".join(teams) or "-")

    async def seen(self, team_id: str, enterprise_id: str) -> None:
        """A workspace of an org-wide installation spoke: remember its organization, once."""
        if team_id in self._seen:
            return
        async with self.database.transaction() as session:
            await installs.note_workspace(
                session=session, team_id=team_id, enterprise_id=enterprise_id, now=self.clock()
            )
        self._seen.add(team_id)


def success_page(team: str) -> str:
    """The page an installer sees once the installation is stored (English, like the rest of
    the install pages; operator-facing)."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>goalpulse installed</title>"
        "<link rel='icon' href='data:,'></head><body>"
        f"<h1 id='installed'>goalpulse is installed in {html.escape(team)}</h1>"
        "<p>Type <code>/goal help</code> in a channel to set its first goal.</p>"
        "</body></html>"
    )


def on_success(registry: Installs) -> Callable[[AsyncSuccessArgs], Awaitable[BoltResponse]]:
    """Bolt's success callback: the installation is stored; mark the workspace installed."""

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        await registry.installed(installation.team_id, installation.enterprise_id)
        team = installation.team_name or installation.enterprise_name or "your workspace"
        return BoltResponse(
            status=200,
            body=success_page(team),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    return success


def register(app: AsyncApp, registry: Installs) -> None:
    """The uninstall listeners, and the middleware that notes org-wide workspaces."""

    async def app_uninstalled(context: AsyncBoltContext) -> None:
        await registry.uninstalled(context.team_id, context.enterprise_id)

    async def tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") or {}
        for user_id in tokens.get("oauth") or []:
            await registry.store.async_delete_installation(
                enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
            )
        if tokens.get("bot"):  # without its bot token goalpulse can do nothing there
            await registry.uninstalled(context.team_id, context.enterprise_id)

    async def note_workspace(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        if context.is_enterprise_install and context.team_id and context.enterprise_id:
            await registry.seen(context.team_id, context.enterprise_id)
        return await next()

    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
    app.use(note_workspace)
